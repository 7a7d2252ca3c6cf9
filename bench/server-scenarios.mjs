/**
 * The scenarios that run against a server: health, authorize, execute_read, snapshot, lifecycle
 * and hook on a store of 10,000 queued tasks, and claims on a store of `--queue` queued tasks (its
 * own servers, so the other scenarios see the same store size). With several backends, one server
 * per backend runs at once and each scenario runs on each in turn, the order alternating from one
 * scenario to the next, so a change in the shared host's load hits both sides of a ratio alike.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareBackend } from './backends.mjs';
import { cannon } from './cannon.mjs';
import { claimRound } from './claims.mjs';
import { hookCost } from './hook.mjs';
import { claim, token } from './http.mjs';
import { lifecycle } from './lifecycle.mjs';
import { sampleRss, startLeanReference, startServer } from './server.mjs';

export const SERVER_SCENARIOS = [
  'health',
  'lean',
  'authorize',
  'execute_read',
  'snapshot',
  'lifecycle',
  'hook',
];

/** A server per backend, each on a store of `tasks` queued tasks; `work(servers)`, then all removed. */
async function withServers(backends, tasks, opts, env, work) {
  const opened = [];
  try {
    for (const backend of backends) {
      const dir = mkdtempSync(join(tmpdir(), `orch-bench-${backend}-`));
      const entry = { backend, dir, prepared: null, server: null };
      opened.push(entry);
      entry.prepared = await prepareBackend(backend, dir, tasks, opts);
      const workspace = join(dir, '.orchestrator', 'workspace');
      mkdirSync(join(workspace, 'docs'), { recursive: true });
      writeFileSync(join(workspace, 'docs', 'bench-4k.md'), 'x'.repeat(4095) + '\n');
      entry.server = await startServer(dir, { ...env, ...entry.prepared.env });
    }
    return await work(opened);
  } finally {
    for (const { dir, prepared, server } of opened) {
      await server?.stop();
      await prepared?.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** `entries` in turn, reversed every other time. */
const inTurn = (entries, i) => (i % 2 === 0 ? entries : [...entries].reverse());

const toolRequests = (held, tool, args) =>
  JSON.stringify({ task_id: held.task.id, phase_token: held.phase_token, tool_name: tool, args });

/** One server scenario on one server; null for the scenarios reported elsewhere (hook). */
function scenario(name, opts, { server, held, agent }) {
  const auth = { authorization: `Bearer ${agent}` };
  const read = toolRequests(held, 'read_files', { paths: ['docs/bench-4k.md'] });
  if (name === 'health') return cannon('health', opts, server.pid, { url: `${server.url}/health/live` });
  const authorizeCalls = (target) => ({
    url: target.url,
    headers: auth,
    requests: [
      { method: 'POST', path: '/api/v1/tools/authorize', body: read },
      {
        method: 'POST',
        path: '/api/v1/tools/authorize',
        body: toolRequests(held, 'write_files', { path: 'src/x.ts', content: 'x' }),
      },
    ],
  });
  if (name === 'authorize') return cannon('authorize', opts, server.pid, authorizeCalls(server));
  if (name === 'lean') return leanReference(opts, server.dir, authorizeCalls);
  if (name === 'execute_read')
    return cannon('execute_read', opts, server.pid, {
      url: `${server.url}/api/v1/tools/execute`,
      method: 'POST',
      headers: auth,
      body: read,
    });
  if (name === 'snapshot')
    return cannon('snapshot', opts, server.pid, {
      url: `${server.url}/api/v1/state/snapshot`,
      headers: { ...auth, 'x-phase-token': held.phase_token },
    });
  if (name === 'lifecycle') return lifecycle(server.url, opts.connections, opts.duration);
  throw new Error(`not a server scenario: ${name}`);
}

/**
 * The lean authorize reference (bench/lean-reference.mjs) in its own process, auditing into the
 * server's temp dir with the same fsync setting, sent the same two requests as `authorize`.
 */
async function leanReference(opts, dir, authorizeCalls) {
  const lean = await startLeanReference(dir, opts.auditFsync);
  try {
    return await cannon('lean', opts, lean.pid, authorizeCalls(lean));
  } finally {
    await lean.stop();
  }
}

/**
 * Runs the wanted server scenarios on every backend of `opts.backends`. Returns their rows
 * (tagged with the backend), the claims rows, per-backend seed and server numbers, and the hook
 * costs of the first backend.
 */
export async function runServerScenarios(opts, env, want) {
  const out = { results: [], claims: [], backends: {}, hook: undefined };
  for (const backend of opts.backends) out.backends[backend] = {};
  const names = SERVER_SCENARIOS.filter((s) => s !== 'hook' && want(s));
  if (SERVER_SCENARIOS.some(want))
    await withServers(opts.backends, 10000, opts, env, async (entries) => {
      for (const entry of entries) {
        entry.agent = token('agent', 'bench-holder');
        entry.held = await claim(entry.server.url, entry.agent);
        out.backends[entry.backend].seed = entry.prepared.seed;
        out.backends[entry.backend].server = {
          startup_ms_10k: entry.server.startupMs,
          rss_mb_10k_loaded: entry.server.rssMb(),
        };
      }
      const rss = entries.map((entry) => sampleRss(entry.server.pid));
      for (const [i, name] of names.entries())
        for (const entry of inTurn(entries, i))
          out.results.push({ backend: entry.backend, ...(await scenario(name, opts, entry)) });
      entries.forEach((entry, i) => Object.assign(out.backends[entry.backend].server, rss[i].stop()));
      if (want('hook')) {
        const { server } = entries[0];
        const hookAgent = token('agent', 'bench-hook');
        const hookClaim = await claim(server.url, hookAgent);
        out.hook = await hookCost({ url: server.url, accessToken: hookAgent, claim: hookClaim, runs: 50 });
      }
      for (const entry of entries) out.backends[entry.backend].server.rss_mb_after_run = entry.server.rssMb();
    });
  if (want('claims'))
    await withServers(opts.backends, opts.queue, opts, env, async (entries) => {
      const seen = new Map(entries.map((e) => [e.backend, new Set()]));
      for (const entry of entries) out.backends[entry.backend].claims_seed = entry.prepared.seed;
      const rss = entries.map((entry) => sampleRss(entry.server.pid));
      for (const [i, agents] of opts.claimAgents.entries())
        for (const { backend, server } of inTurn(entries, i)) {
          const row = await claimRound(server, agents, opts.duration, seen.get(backend), agents);
          out.claims.push({ backend, ...row });
        }
      entries.forEach((entry, i) => (out.backends[entry.backend].claims_server = rss[i].stop()));
    });
  // Rows grouped by backend, in the order the scenarios ran.
  const order = (rows) => opts.backends.flatMap((b) => rows.filter((r) => r.backend === b));
  out.results = order(out.results);
  out.claims = order(out.claims);
  return out;
}
