/**
 * The sandbox's cost per command: `echo` run `runs` times unconfined (how commands ran before the
 * sandbox: spawn in a process group) and in the bubblewrap sandbox, interleaved so host noise hits
 * both alike. Uses the built code (dist/), a temp workspace, and the machine's real bubblewrap.
 */
/* global performance, URL */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../dist/tools/domain/', import.meta.url);
const { openCommandSandbox } = await import(new URL('sandbox/open-sandbox.js', dist).href);
const { DEFAULT_SANDBOX_LIMITS } = await import(new URL('sandbox/sandbox-settings.js', dist).href);
const { commandEnvironment } = await import(new URL('executors/bash.executor.js', dist).href);

const clock = { now: () => Date.now() };

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { median_ms: round(at(0.5)), p95_ms: round(at(0.95)), max_ms: round(sorted[sorted.length - 1]) };
}
const round = (ms) => Math.round(ms * 100) / 100;

/** Median and p95 wall time per `echo` for each mode, and the sandbox's as a ratio of unconfined. */
export async function sandboxCost(runs = 200) {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'orch-bench-sandbox-')));
  const settings = { network: false, readOnlyPaths: [], limits: DEFAULT_SANDBOX_LIMITS };
  const open = (mode) =>
    openCommandSandbox({
      mode,
      workspaceRoot: base,
      privateDir: join(base, `.private-${mode}`),
      clock,
      settings,
    });
  const sandboxes = { unconfined: await open('none'), bubblewrap: await open('bubblewrap') };
  try {
    if (!sandboxes.bubblewrap.status.available)
      throw new Error(`no sandbox on this host: ${sandboxes.bubblewrap.status.reason}`);
    const command = {
      argv: ['echo', 'hello'],
      cwd: base,
      env: commandEnvironment(base),
      timeoutMs: 10_000,
      maxOutputBytes: 65_536,
      network: false,
      gitWritable: false,
    };
    const samples = { unconfined: [], bubblewrap: [] };
    for (let i = 0; i < runs + 10; i++) {
      for (const mode of i % 2 === 0 ? ['unconfined', 'bubblewrap'] : ['bubblewrap', 'unconfined']) {
        const started = performance.now();
        const result = await sandboxes[mode].run(command);
        const elapsed = performance.now() - started;
        if (result.stdout !== 'hello\n') throw new Error(`${mode} echo printed ${JSON.stringify(result)}`);
        if (i >= 10) samples[mode].push(elapsed); // the first runs warm the page cache
      }
    }
    const unconfined = stats(samples.unconfined);
    const bubblewrap = stats(samples.bubblewrap);
    return {
      runs,
      limits_scope: sandboxes.bubblewrap.status.limits_scope,
      unconfined,
      bubblewrap,
      median_ratio: round(bubblewrap.median_ms / unconfined.median_ms),
      p95_ratio: round(bubblewrap.p95_ms / unconfined.p95_ms),
    };
  } finally {
    await Promise.all(Object.values(sandboxes).map((s) => s.close()));
    rmSync(base, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await sandboxCost(Number(process.argv[2] ?? 200)), null, 2));
}
