/**
 * The Claude Code hook's cost per tool call, as Claude Code pays it: the whole process, from spawn
 * to exit, of `runs` PreToolUse calls (a Read the policy allows) against a running server. Three
 * commands, each run through `/bin/sh -c` as Claude Code runs a command hook, interleaved so host
 * noise hits all alike:
 *
 *   node  `node -e ''`: Node's own start-up, the floor every Node hook pays (the baseline)
 *   curl  the command `orchestrator hook claude-code-settings` installs by default (one curl process)
 *   hook  the command `… claude-code-settings --hook node` installs (the lean Node entry)
 *   cli   `node dist/cli/main.js hook claude-code` (the whole CLI)
 *
 * Uses the built code (dist/). The first runs only warm the page cache.
 */
/* global performance, URL, fetch */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';

const dist = new URL('../dist/', import.meta.url);
const CLI = fileURLToPath(new URL('cli/main.js', dist));
const WARM_UP = 5;
/** Under load the runs can outlast the claim's lease (300 s by default). */
const HEARTBEAT_EVERY_MS = 60_000;

const round = (ms) => Math.round(ms * 100) / 100;
function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { median_ms: round(at(0.5)), p95_ms: round(at(0.95)), max_ms: round(sorted[sorted.length - 1]) };
}

/** Extends the claim's lease; once more on a kept-alive connection the server has closed meanwhile. */
async function heartbeat(url, accessToken, claim) {
  const once = () =>
    fetch(`${url}/api/v1/tasks/${claim.task.id}/heartbeat`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        'x-phase-token': claim.phase_token,
      },
      body: '{}',
    });
  const res = await once().catch(once);
  if (!res.ok) throw new Error(`heartbeat answered ${res.status}: ${await res.text()}`);
}

/**
 * Median and p95 wall time per hook call for each command, and each hook's as a ratio of bare Node.
 * `claim` is a claimed task: `{ task: { id }, phase_token }` held by the agent of `accessToken`.
 */
export async function hookCost({ url, accessToken, claim, runs = 50 }) {
  const { claudeCodeHookCommand } = await import(new URL('hooks/cli/claude-code-settings.js', dist).href);
  const { claudeCodeCurlHookCommand, findCurl } = await import(
    new URL('hooks/cli/claude-code-curl-hook.js', dist).href
  );
  const { writeHookHeaderFile } = await import(new URL('sdk/hook-header-file.js', dist).href);
  const curl = findCurl();
  if (!curl) throw new Error('the hook bench needs curl on PATH');
  const dir = mkdtempSync(join(tmpdir(), 'orch-bench-hook-'));
  try {
    const tokenFile = join(dir, 'phase-token.json');
    writeFileSync(
      tokenFile,
      JSON.stringify({ task_id: claim.task.id, phase_token: claim.phase_token, base_url: url }),
      { mode: 0o600 },
    );
    await writeHookHeaderFile(tokenFile, { accessToken, phaseToken: claim.phase_token });
    const stdin = JSON.stringify({
      hook_event_name: 'PreToolUse',
      cwd: dir,
      tool_name: 'Read',
      tool_input: { file_path: join(dir, 'docs', 'bench-4k.md') },
    });
    const commands = {
      node: `${quote([process.execPath, '-e', ''])}`,
      curl: claudeCodeCurlHookCommand({ tokenFile, url, curl }),
      hook: claudeCodeHookCommand({ tokenFile }),
      cli: `${quote([process.execPath, CLI, 'hook', 'claude-code', '--token-file', tokenFile])} || exit 2`,
    };
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ORCHESTRATOR_TOKEN: accessToken };
    const samples = { node: [], curl: [], hook: [], cli: [] };
    const modes = Object.keys(commands);
    let beat = performance.now();
    for (let i = 0; i < runs + WARM_UP; i++) {
      if (performance.now() - beat > HEARTBEAT_EVERY_MS) {
        await heartbeat(url, accessToken, claim);
        beat = performance.now();
      }
      // Rotate the order so no command always runs right after another.
      const shift = i % modes.length;
      for (const mode of [...modes.slice(shift), ...modes.slice(0, shift)]) {
        const started = performance.now();
        const run = spawnSync('/bin/sh', ['-c', commands[mode]], { input: stdin, env, encoding: 'utf8' });
        const elapsed = performance.now() - started;
        if (run.status !== 0) throw new Error(`${mode} exited ${run.status}: ${run.stderr}`);
        if (mode !== 'node' && JSON.parse(run.stdout).hookSpecificOutput?.permissionDecision !== 'allow')
          throw new Error(`${mode} did not allow the Read: ${run.stdout}`);
        if (i >= WARM_UP) samples[mode].push(elapsed);
      }
    }
    const node = stats(samples.node);
    const curlHook = stats(samples.curl);
    const hook = stats(samples.hook);
    const cli = stats(samples.cli);
    const ratio = (s, key) => round(s[key] / node[key]);
    return {
      runs,
      command: commands.curl,
      node,
      curl: { ...curlHook, median_ratio: ratio(curlHook, 'median_ms'), p95_ratio: ratio(curlHook, 'p95_ms') },
      hook: { ...hook, median_ratio: ratio(hook, 'median_ms'), p95_ratio: ratio(hook, 'p95_ms') },
      cli: { ...cli, median_ratio: ratio(cli, 'median_ms'), p95_ratio: ratio(cli, 'p95_ms') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
