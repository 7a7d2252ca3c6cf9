/** The scaling scenario (file backend): cost of snapshot, list and claim vs tasks in the store. */
/* global performance */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedFile } from './backends.mjs';
import { cannon } from './cannon.mjs';
import { call, claim, percentile, token } from './http.mjs';
import { startServer } from './server.mjs';

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

export async function scaling(opts, env) {
  const rows = [];
  const short = {
    ...opts,
    duration: Math.max(2, Math.round(opts.duration / 3)),
    connections: Math.min(opts.connections, 20),
  };
  for (const size of opts.sizes) {
    const dir = mkdtempSync(join(tmpdir(), `orch-bench-${size}-`));
    try {
      const seeded = await seedFile(join(dir, '.orchestrator', 'state.json'), size, 'snapshot');
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
          await seedFile(join(jdir, '.orchestrator', 'state.json'), size, 'journal');
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
