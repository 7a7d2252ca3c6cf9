/**
 * The mixed scenario against 1, 2, 3… server instances on one PostgreSQL database
 * (`--instances 1,2,3`). Each point gets a fresh database seeded with 10,000 queued tasks and N
 * `serve` processes on ephemeral ports, all with the bench's token secret and one Ed25519 audit
 * signing key (ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: servers sharing a database must sign its
 * chain with the same key). The same `--connections` agents walk tasks (bench/mixed.mjs) for a
 * 3 s warm-up (their starts spread over 2 s; fresh processes compile their hot paths), then `--duration` s measured; then the servers are stopped by pid and the
 * database is dropped. The offered load is the same at every point, so the ratios to the
 * 1-instance point say what the extra processes bought on this host.
 */
/* global performance, setTimeout */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ADMIN_URL, prepareBackend } from './backends.mjs';
import { percentile } from './http.mjs';
import { databaseTransactions } from './pg-commits.mjs';
import { AUTHORIZE_PER_PHASE, mixedWorkload, Tally } from './mixed.mjs';
import { pidsCpu, postgresBackendsCpu } from './process-cpu.mjs';
import { startServer } from './server.mjs';

const TASKS = 10000;
const WARMUP_S = 3;
/** Agents start spread over this much of the warm-up, so they do not walk their phases in step. */
const STAGGER_S = 2;
const sleepUntil = (at) => new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
const round1 = (n) => Math.round(n * 10) / 10;
const sorted = (xs) => [...xs].sort((a, b) => a - b);

function writeSigningKey(dir) {
  const file = join(dir, 'audit-signing-key.pem');
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return file;
}

/** An instance's own state directory, with the workspace file the read_files calls name. */
function instanceDir(root, i) {
  const dir = join(root, `instance-${i}`);
  const workspace = join(dir, '.orchestrator', 'workspace');
  mkdirSync(join(workspace, 'docs'), { recursive: true });
  writeFileSync(join(workspace, 'docs', 'bench-4k.md'), 'x'.repeat(4095) + '\n');
  return dir;
}

/** Tasks per status in the database, read after the load stopped. */
async function statusCounts(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT status, count(*)::int AS n FROM orchestrator.tasks GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    await client.end();
  }
}

/**
 * The correctness verdict of one point: no task handed out twice, no 5xx or network error, no
 * 4xx (this workload expects none: every call carries the newest phase token of a task its agent
 * holds; a refused authorize is a 200 with allowed false), and the database agrees with the
 * clients: as many completed tasks as completions acknowledged, at most one held task per agent.
 */
function verdict(tally, db, agents) {
  const problems = [];
  if (tally.double_claims > 0) problems.push(`${tally.double_claims} double claims`);
  if (tally.refused > 0) problems.push(`${tally.refused} transitions or completions refused`);
  if (tally.resumed > 0) problems.push(`${tally.resumed} claims resumed a held task`);
  for (const k of ['4xx', '5xx', 'network_errors', 'other'])
    if (tally.statuses[k] > 0) problems.push(`${tally.statuses[k]} ${k}`);
  if ((db.completed ?? 0) !== tally.completed)
    problems.push(`database has ${db.completed ?? 0} completed tasks, clients saw ${tally.completed}`);
  if ((db.claimed ?? 0) > agents) problems.push(`${db.claimed} tasks held by ${agents} agents`);
  if (tally.empty > 0) problems.push(`queue ran dry ${tally.empty} times`);
  return problems.length === 0 ? 'ok' : problems.join('; ');
}

/** One point: `count` instances on a fresh database, the mixed workload, the numbers. */
async function point(count, opts, env) {
  const root = mkdtempSync(join(tmpdir(), `orch-bench-instances-${count}-`));
  const servers = [];
  let prepared = null;
  try {
    prepared = await prepareBackend('postgres', root, TASKS, opts);
    const keyFile = writeSigningKey(root);
    // One after another: each runs the migrator at start-up (already applied by the seed).
    for (let i = 0; i < count; i++)
      servers.push(
        await startServer(instanceDir(root, i), {
          ...env,
          ...prepared.env,
          ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: keyFile,
        }),
      );
    const tally = new Tally();
    const begin = performance.now();
    tally.window = { from: begin + WARMUP_S * 1000, to: begin + (WARMUP_S + opts.duration) * 1000 };
    const load = mixedWorkload(
      servers.map((s) => s.url),
      opts.connections,
      tally.window.to,
      tally,
      STAGGER_S * 1000,
    );
    await sleepUntil(tally.window.from);
    const serverCpu = pidsCpu(servers.map((s) => s.pid));
    const pgCpu = postgresBackendsCpu(ADMIN_URL, prepared.database);
    serverCpu.start();
    await pgCpu.start();
    const transactions = await databaseTransactions(ADMIN_URL, prepared.database);
    const clientCpu = process.cpuUsage();
    await sleepUntil(tally.window.to);
    const served = serverCpu.stop();
    const client = process.cpuUsage(clientCpu);
    const backends = await pgCpu.stop();
    const xacts = await transactions.stop();
    await load;
    const elapsed = (tally.window.to - tally.window.from) / 1000;
    const db = await statusCounts(prepared.url);
    const n = tally.counts.requests;
    const perRequest = (seconds) => (n > 0 && seconds !== null ? Math.round((seconds / n) * 1e6) : null);
    const all = sorted(tally.latencies.all);
    return {
      instances: count,
      agents: opts.connections,
      seconds: round1(elapsed),
      transitions_per_s: round1(tally.counts.transitions / elapsed),
      authorize_rps: Math.round(tally.counts.authorize / elapsed),
      rps: Math.round(n / elapsed),
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      authorize_p99: percentile(sorted(tally.latencies.authorize), 99),
      transition_p99: percentile(sorted(tally.latencies.transition), 99),
      requests: n,
      cpu_us: perRequest(served.seconds),
      preempted_per_1k: n > 0 ? Math.round((served.preempted / n) * 1000) : null,
      pg_cpu_us: perRequest(backends?.seconds ?? null),
      pg_backends: backends?.backends ?? null,
      pg_xacts_per_request: n > 0 ? Math.round((xacts / n) * 100) / 100 : null,
      client_cpu_us: perRequest((client.user + client.system) / 1e6),
      load_1m: round1(loadavg()[0]),
      claims: tally.claims.size,
      completed: tally.completed,
      approvals: tally.approvals,
      double_claims: tally.double_claims,
      refused: tally.refused,
      statuses: tally.statuses,
      db_tasks: db,
      correctness: verdict(tally, db, opts.connections),
      first_failures: tally.first_failures,
    };
  } finally {
    for (const server of servers) await server.stop();
    await prepared?.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

const ratio = (a, b) =>
  typeof a === 'number' && typeof b === 'number' && b > 0 ? Math.round((a / b) * 100) / 100 : null;

/** Every point of `opts.instances`, in order, each with its ratios to the 1-instance point. */
export async function instancesScenario(opts, env) {
  const rows = [];
  for (const count of opts.instances) {
    const row = await point(count, opts, env);
    console.error(`instances ${count}: ${row.transitions_per_s} transitions/s, ${row.correctness}`);
    rows.push(row);
  }
  const base = rows.find((r) => r.instances === 1);
  for (const r of rows)
    r.vs_1 = base
      ? {
          transitions_per_s: ratio(r.transitions_per_s, base.transitions_per_s),
          authorize_rps: ratio(r.authorize_rps, base.authorize_rps),
          p99: ratio(r.p99, base.p99),
          cpu_us: ratio(r.cpu_us, base.cpu_us),
          pg_cpu_us: ratio(r.pg_cpu_us, base.pg_cpu_us),
        }
      : null;
  return { authorize_per_phase: AUTHORIZE_PER_PHASE, warmup_s: WARMUP_S, tasks: TASKS, rows };
}
