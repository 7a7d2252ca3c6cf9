/**
 * HTTP benchmark of the built server against a bare node:http "ceiling", in one run.
 *
 *   npm run build && node bench/run.mjs [--connections 50] [--duration 10] [--audit-fsync=off]
 *                                       [--scenarios ceiling,health,authorize,execute_read,snapshot,lifecycle,hook,scaling,sandbox]
 *                                       [--sizes 1000,10000,100000] [--cpu-prof]
 *
 * --cpu-prof runs the server under `node --cpu-prof` and writes the profile to $TMPDIR/orchestrator-cpu-prof/.
 *
 * The server runs as `node dist/cli/main.js serve` (NODE_ENV=production, a random 64-hex secret, file
 * store and audit log in a temp dir, port 0). Its store is seeded offline with 10,000 queued tasks
 * (bench/seed.mjs, the server's own store code). `sandbox` times 200 `echo` commands unconfined and in
 * the bubblewrap sandbox, interleaved (bench/sandbox.mjs). `hook` times 50 Claude Code hook processes
 * against the server and bare Node start-up, interleaved (bench/hook.mjs). Prints tables and writes
 * bench/results/latest.json.
 * See docs/PERFORMANCE.md.
 */
/* global URL, performance, setTimeout, clearTimeout, fetch */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';
import { hookCost } from './hook.mjs';
import { sandboxCost } from './sandbox.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const SEED = join(ROOT, 'bench', 'seed.mjs');
const ALL = [
  'ceiling',
  'health',
  'authorize',
  'execute_read',
  'snapshot',
  'lifecycle',
  'hook',
  'scaling',
  'sandbox',
];

// ---------------------------------------------------------------- options
function parseArgs(argv) {
  const opts = {
    connections: 50,
    duration: 10,
    auditFsync: true,
    scenarios: ALL,
    sizes: [1000, 10000, 100000],
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--connections') opts.connections = Number(value());
    else if (flag === '--duration') opts.duration = Number(value());
    else if (flag === '--audit-fsync') opts.auditFsync = !['off', 'false', '0', 'no'].includes(value());
    else if (flag === '--scenarios') opts.scenarios = value().split(',').filter(Boolean);
    else if (flag === '--cpu-prof') opts.cpuProf = true;
    else if (flag === '--sizes') opts.sizes = value().split(',').map(Number);
    else if (flag === '--help' || flag === '-h') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
      process.exit(0);
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  for (const s of opts.scenarios)
    if (!ALL.includes(s)) throw new Error(`unknown scenario ${s}; known: ${ALL}`);
  return opts;
}

// ---------------------------------------------------------------- processes
const SECRET = randomBytes(32).toString('hex');
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
process.on('SIGINT', () => process.exit(130));

/** Spawns `serve` in `dir`; resolves at the "listening" log line with the start-up time. */
let cpuProfDir = null;
function startServer(dir, env = {}) {
  const started = performance.now();
  const flags = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...flags, CLI, 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      ORCHESTRATOR_SERVER_HOST: '127.0.0.1',
      ORCHESTRATOR_SERVER_PORT: '0',
      ORCHESTRATOR_JWT_SECRET: SECRET,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolveStart, reject) => {
    let buffered = '';
    let listening = false;
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${stderr}`)), 60_000);
    child.on('exit', (code) => {
      if (!listening) reject(new Error(`server exited ${code} before listening: ${stderr}`));
    });
    child.stdout.on('data', (d) => {
      if (listening) return; // keep draining the pipe, ignore the request logs
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.msg === 'listening' && typeof entry.url === 'string') {
          listening = true;
          clearTimeout(timer);
          resolveStart({
            child,
            url: entry.url,
            dir,
            startupMs: Math.round(performance.now() - started),
            pid: child.pid,
            rssMb: () => rssMb(child.pid),
            async stop() {
              if (child.exitCode !== null || child.signalCode !== null) return;
              const exited = new Promise((r) => child.once('exit', r));
              child.kill(cpuProfDir ? 'SIGTERM' : 'SIGKILL'); // SIGTERM lets --cpu-prof write its profile
              await exited;
            },
          });
          return;
        }
      }
    });
  });
}

/** CPU seconds (user + system) the process `pid` has used so far. */
function cpuSeconds(pid) {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ, 100 on every Linux x86-64/arm64 build

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** The ceiling: a bare node:http server in its own process, answering a constant JSON body. */
function startCeiling() {
  const code = `
    const body = JSON.stringify({ status: 'ok', ceiling: true });
    const s = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
    });
    s.keepAliveTimeout = 72000;
    s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: s.address().port })));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  return new Promise((r) =>
    child.stdout.once('data', (d) =>
      r({
        url: `http://127.0.0.1:${JSON.parse(String(d)).port}`,
        pid: child.pid,
        stop: () => child.kill('SIGKILL'),
      }),
    ),
  );
}

function seed(stateFile, count, mode) {
  mkdirSync(join(stateFile, '..'), { recursive: true });
  return new Promise((r, reject) => {
    const child = spawn(process.execPath, [SEED, stateFile, String(count), mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? r(JSON.parse(out)) : reject(new Error(`seed exited ${code}`))));
  });
}

// ---------------------------------------------------------------- HTTP helpers
function token(role, sub) {
  const now = Math.floor(Date.now() / 1000);
  const kid = createHash('sha256').update(SECRET).digest('hex').slice(0, 16);
  return jwt.sign(
    {
      typ: 'access',
      iss: 'workflow-orchestrator',
      sub,
      role,
      iat: now,
      exp: now + 7200,
      jti: randomUUID(),
      orig_iat: now,
    },
    SECRET,
    { algorithm: 'HS256', keyid: kid },
  );
}

async function call(base, method, path, bearer, body, headers = {}) {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
}

async function claim(base, agent) {
  const res = await call(base, 'POST', '/api/v1/tasks/claim', agent, {});
  if (res.status !== 200) throw new Error(`claim answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
}

/**
 * autocannon with the common settings against the server process `pid`; returns the numbers we
 * report. `cpu_us` is the server's CPU time (user + system) per request: what a request costs the
 * server, whatever share of the 2 cores the load generator took.
 */
async function cannon(name, opts, pid, settings) {
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    connections: opts.connections,
    duration: opts.duration,
    ...settings,
    headers: { 'content-type': 'application/json', ...settings.headers },
  });
  return {
    scenario: name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    cpu_us:
      result.requests.total > 0
        ? Math.round(((cpuSeconds(pid) - cpuBefore) / result.requests.total) * 1e6)
        : null,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

// ---------------------------------------------------------------- lifecycle
const artifacts = JSON.parse(readFileSync(join(ROOT, 'bench', 'artifacts.json'), 'utf8'));
const WALK = [
  ['PLAN', 'TDD', artifacts.plan],
  ['TDD', 'IMPL', artifacts.tdd],
  ['IMPL', 'REVIEW', artifacts.impl],
  ['REVIEW', 'COMPLETE', artifacts.review],
];

/** `agents` concurrent agents claim and walk whole tasks until `seconds` pass. */
async function lifecycle(base, agents, seconds) {
  const operator = token('operator', 'bench-operator');
  const deadline = Date.now() + seconds * 1000;
  const latencies = [];
  let completed = 0;
  let transitions = 0;
  let requests = 0;
  let failures = 0;
  const firstFailures = [];
  const timed = async (...args) => {
    const res = await call(base, ...args);
    latencies.push(res.ms);
    requests++;
    if (res.status >= 300 || res.body?.allowed === false || res.body?.completed === false) {
      failures++;
      if (firstFailures.length < 3) firstFailures.push({ path: args[1], status: res.status, body: res.body });
    }
    return res;
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: agents }, async (_, i) => {
      const agent = token('agent', `bench-agent-${i}`);
      while (Date.now() < deadline) {
        const claimed = await timed('POST', '/api/v1/tasks/claim', agent, {});
        if (claimed.status !== 200) break;
        const id = claimed.body.task.id;
        let phaseToken = claimed.body.phase_token;
        await timed('POST', `/api/v1/tasks/${id}/gates/plan_approved/approve`, operator, {});
        let ok = true;
        for (const [from, to, arts] of WALK) {
          const moved = await timed('POST', '/api/v1/tasks/transition', agent, {
            task_id: id,
            current_phase: from,
            target_phase: to,
            phase_token: phaseToken,
            artifacts: arts,
          });
          if (moved.status !== 200 || !moved.body.allowed) {
            ok = false;
            break;
          }
          transitions++;
          phaseToken = moved.body.new_token;
        }
        if (!ok) continue;
        const done = await timed('POST', `/api/v1/tasks/${id}/complete`, agent, {
          phase_token: phaseToken,
          artifacts: artifacts.complete,
        });
        if (done.status === 200 && done.body.completed) completed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    scenario: 'lifecycle',
    agents,
    seconds: Math.round(elapsed * 10) / 10,
    tasks_completed: completed,
    tasks_per_s: Math.round((completed / elapsed) * 10) / 10,
    transitions_per_s: Math.round((transitions / elapsed) * 10) / 10,
    rps: Math.round(requests / elapsed),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: Math.round((latencies.at(-1) ?? 0) * 100) / 100,
    requests,
    failures,
    first_failures: firstFailures,
  };
}

// ---------------------------------------------------------------- scaling (cost vs tasks in the store)
async function measureClaims(base, n, concurrency) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const res = await call(base, 'POST', '/api/v1/tasks/claim', token('agent', `scale-agent-${i}`), {});
        if (res.status !== 200) throw new Error(`claim ${res.status}`);
        latencies.push(res.ms);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: Math.round(n / elapsed), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function scaling(opts, env) {
  const rows = [];
  const short = {
    ...opts,
    duration: Math.max(2, Math.round(opts.duration / 3)),
    connections: Math.min(opts.connections, 20),
  };
  for (const size of opts.sizes) {
    const dir = mkdtempSync(join(tmpdir(), `orch-bench-${size}-`));
    try {
      const seeded = await seed(join(dir, '.orchestrator', 'state.json'), size, 'snapshot');
      const server = await startServer(dir, env);
      await call(server.url, 'GET', '/health/live');
      const rssAfterLoad = server.rssMb();
      const agent = token('agent', 'scale-holder');
      const held = await claim(server.url, agent);
      const snap = await cannon('snapshot', short, server.pid, {
        url: `${server.url}/api/v1/state/snapshot`,
        headers: { authorization: `Bearer ${agent}`, 'x-phase-token': held.phase_token },
      });
      const list = await cannon('list', short, server.pid, {
        url: `${server.url}/api/v1/tasks?status=queued&limit=100`,
        headers: { authorization: `Bearer ${token('operator', 'scale-operator')}` },
      });
      const claims = await measureClaims(server.url, 500, 10);
      const row = {
        tasks: size,
        seed_ms: seeded.ms,
        startup_ms_snapshot: server.startupMs,
        rss_mb: rssAfterLoad,
        snapshot_rps: snap.rps,
        snapshot_p99: snap.p99,
        list_rps: list.rps,
        list_p99: list.p99,
        claim_rps: claims.rps,
        claim_p50: claims.p50,
        claim_p99: claims.p99,
      };
      await server.stop();
      if (size >= 100000) {
        // Same tasks left in the journal only (as after a crash before the first checkpoint).
        const jdir = mkdtempSync(join(tmpdir(), `orch-bench-j${size}-`));
        try {
          await seed(join(jdir, '.orchestrator', 'state.json'), size, 'journal');
          const replay = await startServer(jdir, env);
          await call(replay.url, 'GET', '/health/live');
          row.startup_ms_journal = replay.startupMs;
          row.rss_mb_after_journal = replay.rssMb();
          await replay.stop();
        } finally {
          rmSync(jdir, { recursive: true, force: true });
        }
      }
      rows.push(row);
      console.error(`scaling ${size}: ${JSON.stringify(row)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

// ---------------------------------------------------------------- output
function table(rows, columns) {
  const cells = rows.map((r) =>
    columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals) => vals.map((v, i) => v.padStart(widths[i])).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

// ---------------------------------------------------------------- main
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const want = (s) => opts.scenarios.includes(s);
  if (opts.cpuProf) cpuProfDir = join(tmpdir(), 'orchestrator-cpu-prof');
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
    options: { connections: opts.connections, duration_s: opts.duration, audit_fsync: opts.auditFsync },
  };

  if (want('ceiling')) {
    const ceiling = await startCeiling();
    results.push(await cannon('ceiling', opts, ceiling.pid, { url: `${ceiling.url}/` }));
    ceiling.stop();
  }

  const needsServer = ['health', 'authorize', 'execute_read', 'snapshot', 'lifecycle', 'hook'].some(want);
  if (needsServer) {
    const dir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
    try {
      report.seed = await seed(join(dir, '.orchestrator', 'state.json'), 10000, 'snapshot');
      const workspace = join(dir, '.orchestrator', 'workspace');
      mkdirSync(join(workspace, 'docs'), { recursive: true });
      writeFileSync(join(workspace, 'docs', 'bench-4k.md'), 'x'.repeat(4095) + '\n');
      const server = await startServer(dir, env);
      report.server = { startup_ms_10k: server.startupMs, rss_mb_10k_loaded: server.rssMb() };
      const agent = token('agent', 'bench-holder');
      const held = await claim(server.url, agent);
      const auth = { authorization: `Bearer ${agent}` };
      const toolBody = (tool, args) =>
        JSON.stringify({ task_id: held.task.id, phase_token: held.phase_token, tool_name: tool, args });

      if (want('health'))
        results.push(await cannon('health', opts, server.pid, { url: `${server.url}/health/live` }));
      if (want('authorize'))
        results.push(
          await cannon('authorize', opts, server.pid, {
            url: server.url,
            headers: auth,
            requests: [
              {
                method: 'POST',
                path: '/api/v1/tools/authorize',
                body: toolBody('read_files', { paths: ['docs/bench-4k.md'] }),
              },
              {
                method: 'POST',
                path: '/api/v1/tools/authorize',
                body: toolBody('write_files', { path: 'src/x.ts', content: 'x' }),
              },
            ],
          }),
        );
      if (want('execute_read'))
        results.push(
          await cannon('execute_read', opts, server.pid, {
            url: `${server.url}/api/v1/tools/execute`,
            method: 'POST',
            headers: auth,
            body: toolBody('read_files', { paths: ['docs/bench-4k.md'] }),
          }),
        );
      if (want('snapshot'))
        results.push(
          await cannon('snapshot', opts, server.pid, {
            url: `${server.url}/api/v1/state/snapshot`,
            headers: { ...auth, 'x-phase-token': held.phase_token },
          }),
        );
      if (want('lifecycle')) results.push(await lifecycle(server.url, opts.connections, opts.duration));
      if (want('hook')) {
        const hookAgent = token('agent', 'bench-hook');
        const hookClaim = await claim(server.url, hookAgent);
        report.hook = await hookCost({ url: server.url, accessToken: hookAgent, claim: hookClaim, runs: 50 });
      }
      report.server.rss_mb_after_run = server.rssMb();
      await server.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const ceiling = results.find((r) => r.scenario === 'ceiling');
  for (const r of results) {
    if (!ceiling) break;
    r.ratio = `${Math.round((r.rps / ceiling.rps) * 1000) / 10}%`;
    if (typeof r.cpu_us === 'number' && ceiling.cpu_us > 0)
      r.cpu_ratio = `${Math.round((r.cpu_us / ceiling.cpu_us) * 10) / 10}x`;
  }
  report.scenarios = results;
  if (want('scaling')) report.scaling = await scaling(opts, env);
  if (want('sandbox')) report.sandbox = await sandboxCost(200);
  report.total_s = Math.round((Date.now() - started) / 1000);

  console.log(
    `\nWorkflow Orchestrator bench — ${report.machine.cores} cores, node ${report.machine.node}, ` +
      `${opts.connections} connections, ${opts.duration} s, audit fsync ${opts.auditFsync ? 'on' : 'off'}\n`,
  );
  if (results.length > 0)
    console.log(
      table(results, [
        'scenario',
        'rps',
        'ratio',
        'p50',
        'p90',
        'p99',
        'max',
        'requests',
        'cpu_us',
        'cpu_ratio',
        'non2xx',
        'errors',
      ]),
    );
  const life = results.find((r) => r.scenario === 'lifecycle');
  if (life)
    console.log(
      `\nlifecycle: ${life.agents} agents, ${life.tasks_completed} tasks completed (${life.tasks_per_s}/s), ` +
        `${life.transitions_per_s} transitions/s, ${life.failures} failed requests`,
    );
  if (report.scaling) {
    console.log('\nCost vs tasks in the store (latency ms):\n');
    console.log(
      table(report.scaling, [
        'tasks',
        'seed_ms',
        'startup_ms_snapshot',
        'startup_ms_journal',
        'rss_mb',
        'snapshot_rps',
        'snapshot_p99',
        'list_rps',
        'list_p99',
        'claim_rps',
        'claim_p50',
        'claim_p99',
      ]),
    );
  }
  if (report.hook) {
    const h = report.hook;
    console.log(`\nClaude Code hook, whole process per tool call (${h.runs} runs each, interleaved):\n`);
    console.log(
      table(
        [
          { command: "node -e '' (baseline)", ...h.node, ratio: '1x' },
          {
            command: 'curl hook (settings default)',
            ...h.curl,
            ratio: `${h.curl.median_ratio}x (p95 ${h.curl.p95_ratio}x)`,
          },
          {
            command: 'node hook (--hook node)',
            ...h.hook,
            ratio: `${h.hook.median_ratio}x (p95 ${h.hook.p95_ratio}x)`,
          },
          {
            command: 'cli hook claude-code',
            ...h.cli,
            ratio: `${h.cli.median_ratio}x (p95 ${h.cli.p95_ratio}x)`,
          },
        ],
        ['command', 'median_ms', 'p95_ms', 'max_ms', 'ratio'],
      ),
    );
  }
  if (report.sandbox) {
    const s = report.sandbox;
    console.log(
      `\nCost of one command (echo, ${s.runs} runs each, interleaved; limits per ${s.limits_scope}):\n`,
    );
    console.log(
      table(
        [
          { mode: 'unconfined (before)', ...s.unconfined, ratio: '1x' },
          { mode: 'bubblewrap sandbox', ...s.bubblewrap, ratio: `${s.median_ratio}x (p95 ${s.p95_ratio}x)` },
        ],
        ['mode', 'median_ms', 'p95_ms', 'max_ms', 'ratio'],
      ),
    );
  }
  console.log(`\ntotal ${report.total_s} s`);
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), json);
  writeFileSync(join(ROOT, 'bench', 'results', `latest-fsync-${opts.auditFsync ? 'on' : 'off'}.json`), json);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
