/**
 * HTTP benchmark of the built server against a bare node:http "ceiling", in one run.
 *
 *   npm run build && node bench/run.mjs [--connections 50] [--duration 10] [--audit-fsync=off]
 *       [--scenarios ceiling,fastify,health,lean,authorize,execute_read,snapshot,lifecycle,hook,scaling,sandbox,claims,mixed]
 *       [--backend file|postgres|both] [--queue 100000] [--claim-agents 1,8,32,50]
 *       [--pg-analyze off] [--pg-pool N] [--sizes 1000,10000,100000] [--cpu-prof]
 *       [--server-cli path/to/dist/cli/main.js]
 *       [--backend postgres --instances 1,2,3]
 *
 * Every scenario but `claims` runs by default, on the file backend. --backend both runs the chosen
 * server scenarios (health, authorize, execute_read, snapshot, lifecycle, claims) on a server per
 * backend, alternating, and prints postgres/file ratios; `ceiling`, `scaling`, `sandbox` and `hook`
 * run once (hook on the first backend). --server-cli runs another build of the server (e.g. of an
 * earlier commit) instead of this checkout's dist/. --cpu-prof runs the servers under `node --cpu-prof`, writing to $TMPDIR/orchestrator-cpu-prof/.
 *
 * The server runs as `node dist/cli/main.js serve` (NODE_ENV=production, a random 64-hex secret,
 * a temp dir, port 0). Its store holds 10,000 queued tasks, seeded offline (bench/backends.mjs):
 * the file store by bench/seed.mjs, postgres in a fresh database `orch_bench_<random>` on
 * 127.0.0.1:5432 by bench/seed-postgres.mjs (then ANALYZE unless --pg-analyze off), dropped at
 * the end even on failure. `claims` gets its own server with --queue queued tasks: rounds of
 * 1, 8, 32 and 50 agents claim for --duration s each; every task id must come back once (bench/claims.mjs).
 * `mixed` (postgres only; the only scenario when --instances is given without --scenarios) runs
 * --connections agents walking tasks with tool calls authorized along the way against each count
 * of --instances (default 1) server processes on one fresh database, with a correctness check
 * (bench/instances.mjs).
 * `lifecycle` walks whole tasks PLAN→COMPLETE, approving the digest the plan gate asks for
 * (bench/lifecycle.mjs). `sandbox` times 200 `echo` commands unconfined and in the bubblewrap
 * sandbox (bench/sandbox.mjs). `hook` times 50 Claude Code hook processes against the server and
 * bare Node start-up, interleaved (bench/hook.mjs). Prints tables (bench/print.mjs) and writes
 * bench/results/latest.json.
 * See docs/PERFORMANCE.md.
 */
/* global URL */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { BACKENDS, dropBenchDatabases } from './backends.mjs';
import { cannon } from './cannon.mjs';
import { instancesScenario } from './instances.mjs';
import { compareBackends, printReport } from './print.mjs';
import { sandboxCost } from './sandbox.mjs';
import { scaling } from './scaling.mjs';
import { runServerScenarios } from './server-scenarios.mjs';
import { profileServersInto, serverCliAt, startCeiling, startFastifyCeiling } from './server.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const DEFAULT = [
  'ceiling',
  'fastify',
  'health',
  'lean',
  'authorize',
  'execute_read',
  'snapshot',
  'lifecycle',
  'hook',
  'scaling',
  'sandbox',
];
const ALL = [...DEFAULT, 'claims', 'mixed'];
const OFF = ['off', 'false', '0', 'no'];

/** A wrong command line: printed as its message alone, without a stack. */
class OptionError extends Error {}

function parseArgs(argv) {
  const opts = {
    connections: 50,
    duration: 10,
    auditFsync: true,
    scenarios: DEFAULT,
    sizes: [1000, 10000, 100000],
    backends: ['file'],
    queue: 100000,
    claimAgents: [1, 8, 32, 50],
    pgAnalyze: true,
    pgPool: null,
    instances: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--connections') opts.connections = Number(value());
    else if (flag === '--duration') opts.duration = Number(value());
    else if (flag === '--audit-fsync') opts.auditFsync = !OFF.includes(value());
    else if (flag === '--scenarios') opts.scenarios = value().split(',').filter(Boolean);
    else if (flag === '--cpu-prof') opts.cpuProf = true;
    else if (flag === '--server-cli') opts.serverCli = value();
    else if (flag === '--sizes') opts.sizes = value().split(',').map(Number);
    else if (flag === '--backend') {
      const b = value();
      opts.backends = b === 'both' ? BACKENDS : [b];
    } else if (flag === '--queue') opts.queue = Number(value());
    else if (flag === '--claim-agents') opts.claimAgents = value().split(',').map(Number);
    else if (flag === '--pg-analyze') opts.pgAnalyze = !OFF.includes(value());
    else if (flag === '--pg-pool') opts.pgPool = Number(value());
    else if (flag === '--instances') opts.instances = value().split(',').map(Number);
    else if (flag === '--help' || flag === '-h') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new OptionError(`unknown option ${argv[i]}`);
  }
  for (const s of opts.scenarios)
    if (!ALL.includes(s)) throw new OptionError(`unknown scenario ${s}; known: ${ALL}`);
  for (const b of opts.backends)
    if (!BACKENDS.includes(b)) throw new OptionError(`unknown backend ${b}; known: ${BACKENDS},both`);
  return checkInstances(
    opts,
    argv.some((a) => a.startsWith('--scenarios')),
  );
}

/**
 * --instances starts several servers on one store, which only the postgres backend can share
 * (the file store is locked by one process); it picks the `mixed` scenario unless --scenarios
 * says otherwise, and must then include it.
 */
function checkInstances(opts, scenariosGiven) {
  const postgresOnly = opts.backends.length === 1 && opts.backends[0] === 'postgres';
  if (opts.instances !== null) {
    if (!postgresOnly)
      throw new OptionError(
        `--instances needs --backend postgres (got ${opts.backends.join(',')}): only a database can be shared by several server processes`,
      );
    if (opts.instances.length === 0 || opts.instances.some((n) => !Number.isInteger(n) || n < 1))
      throw new OptionError('--instances takes a list of counts of at least 1, e.g. --instances 1,2,3');
    if (!scenariosGiven) opts.scenarios = ['mixed'];
    else if (!opts.scenarios.includes('mixed'))
      throw new OptionError('--instances applies to the mixed scenario: add mixed to --scenarios');
  }
  if (opts.scenarios.includes('mixed') && !postgresOnly)
    throw new OptionError('the mixed scenario runs on --backend postgres only');
  opts.instances ??= [1];
  return opts;
}

const times = (a, b) =>
  typeof a === 'number' && typeof b === 'number' && b > 0 ? Math.round((a / b) * 100) / 100 : null;

/**
 * Every row's CPU per request and rps as multiples of the lean authorize reference's (`vs_lean`)
 * and of bare Fastify's (`vs_fastify`), measured in this run; and the issue 19 targets.
 */
function addYardsticks(results) {
  const of = (name) => results.find((r) => r.scenario === name && r.backend !== 'postgres');
  const lean = of('lean');
  const fastify = of('fastify');
  for (const r of results) {
    if (lean) {
      r.cpu_vs_lean = times(r.cpu_us, lean.cpu_us);
      r.rps_vs_lean = times(r.rps, lean.rps);
    }
    if (fastify) r.cpu_vs_fastify = times(r.cpu_us, fastify.cpu_us);
  }
}

/** The issue 19 targets, judged on this run's rows. */
export function hotPathTargets(results) {
  const rows = results.filter((r) => r.backend !== 'postgres');
  const authorize = rows.find((r) => r.scenario === 'authorize');
  const health = rows.find((r) => r.scenario === 'health');
  const out = [];
  if (authorize?.cpu_vs_lean != null)
    out.push({
      target: 'authorize cpu_us <= 2x lean',
      value: `${authorize.cpu_vs_lean}x`,
      met: authorize.cpu_vs_lean <= 2,
    });
  if (authorize)
    out.push({ target: 'authorize p99 < 10 ms', value: `${authorize.p99} ms`, met: authorize.p99 < 10 });
  if (health?.cpu_vs_fastify != null)
    out.push({
      target: 'health cpu_us <= 2x fastify',
      value: `${health.cpu_vs_fastify}x`,
      met: health.cpu_vs_fastify <= 2,
    });
  return out;
}

const load = () => loadavg().map((l) => Math.round(l * 100) / 100);

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const want = (s) => opts.scenarios.includes(s);
  if (opts.cpuProf) profileServersInto(join(tmpdir(), 'orchestrator-cpu-prof'));
  if (opts.serverCli) serverCliAt(opts.serverCli);
  const env = { ORCHESTRATOR_AUDIT_FSYNC: opts.auditFsync ? 'true' : 'false' };
  const results = [];
  const started = Date.now();
  const report = {
    date: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model,
      memory_gb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    load_average: { start: load() },
    options: {
      connections: opts.connections,
      duration_s: opts.duration,
      audit_fsync: opts.auditFsync,
      backends: opts.backends,
      queue: opts.queue,
      pg_analyze: opts.pgAnalyze,
      pg_pool: opts.pgPool,
      instances: opts.instances,
    },
    backends: {},
    claims: [],
  };

  if (want('ceiling')) {
    const ceiling = await startCeiling();
    results.push({
      backend: '-',
      ...(await cannon('ceiling', opts, ceiling.pid, { url: `${ceiling.url}/` })),
    });
    await ceiling.stop();
  }
  if (want('fastify')) {
    const fastify = await startFastifyCeiling();
    results.push({
      backend: '-',
      ...(await cannon('fastify', opts, fastify.pid, { url: `${fastify.url}/health/live` })),
    });
    await fastify.stop();
  }
  const served = await runServerScenarios(opts, env, want);
  results.push(...served.results);
  report.backends = served.backends;
  report.claims = served.claims;
  report.hook = served.hook;

  const ceiling = results.find((r) => r.scenario === 'ceiling');
  for (const r of results) {
    if (!ceiling) break;
    r.ratio = `${Math.round((r.rps / ceiling.rps) * 1000) / 10}%`;
    if (typeof r.cpu_us === 'number' && ceiling.cpu_us > 0)
      r.cpu_ratio = `${Math.round((r.cpu_us / ceiling.cpu_us) * 10) / 10}x`;
  }
  addYardsticks(results);
  report.scenarios = results;
  report.targets = hotPathTargets(results);
  report.comparison = compareBackends(report);
  if (want('mixed')) report.instances = await instancesScenario(opts, env);
  if (want('scaling')) report.scaling = await scaling(opts, env);
  if (want('sandbox')) report.sandbox = await sandboxCost(200);
  report.load_average.end = load();
  report.total_s = Math.round((Date.now() - started) / 1000);

  printReport(report, opts);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), json);
  writeFileSync(join(ROOT, 'bench', 'results', `latest-fsync-${opts.auditFsync ? 'on' : 'off'}.json`), json);
}

// Ctrl-C still drops the bench databases (the children die with the process).
process.on('SIGINT', () => dropBenchDatabases().finally(() => process.exit(130)));

main()
  .finally(dropBenchDatabases)
  .then(
    () => process.exit(0),
    (error) => {
      console.error(error instanceof OptionError ? `bench: ${error.message}` : error);
      process.exit(1);
    },
  );
