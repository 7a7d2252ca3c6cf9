/**
 * Two builds side by side: the CPU per request of this checkout's server against another build's,
 * judged in one run where host noise hits both alike.
 *
 *   npm run build && node bench/pair.mjs --against ../base/dist/cli/main.js
 *       [--scenario authorize|health|execute_read] [--rounds 8] [--burst 2] [--connections 50]
 *       [--tasks 1000] [--node-options "<NODE_OPTIONS of this build's server>"]
 *       [--against-node-options "<NODE_OPTIONS of the other's>"]
 *
 * Both servers start (each on its own temp dir and store of --tasks queued tasks, seeded as
 * bench/run.mjs seeds them), both get a 2 s warm-up, then --rounds rounds of a --burst-second
 * autocannon burst on each, the order flipped every round. Prints each build's median CPU per
 * request, its median p99 and its peak RSS over the bursts, and new/against. Single `npm run bench` runs moved 10-30 % between runs minutes apart on
 * the 2-core host, more than most single changes; this is how issue 19's changes were judged
 * (docs/PERFORMANCE.md, "Hot path, second round"). Build the other commit where its own
 * node_modules are, e.g. `git worktree add ../base <rev> && cd ../base && npm ci && npm run build`.
 * To compare a runtime setting instead, run this build against itself with --node-options (e.g.
 * `--against dist/cli/main.js --node-options --max-semi-space-size=8`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareBackend } from './backends.mjs';
import { cannon } from './cannon.mjs';
import { claim, token } from './http.mjs';
import { sampleRss, serverCliAt, startServer } from './server.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const SCENARIOS = ['authorize', 'health', 'execute_read'];

/** A wrong command line: printed as its message alone. */
class OptionError extends Error {}

function parseArgs(argv) {
  const opts = {
    against: null,
    scenario: 'authorize',
    rounds: 8,
    burst: 2,
    connections: 50,
    tasks: 1000,
    nodeOptions: null,
    againstNodeOptions: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--against') opts.against = resolve(value());
    else if (flag === '--scenario') opts.scenario = value();
    else if (flag === '--node-options') opts.nodeOptions = value();
    else if (flag === '--against-node-options') opts.againstNodeOptions = value();
    else if (['--rounds', '--burst', '--connections', '--tasks'].includes(flag)) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new OptionError(`${flag} takes a whole number of at least 1`);
      opts[flag.slice(2)] = n;
    } else throw new OptionError(`unknown option ${argv[i]}`);
  }
  if (!opts.against)
    throw new OptionError("--against <path to the other build's dist/cli/main.js> is required");
  if (!SCENARIOS.includes(opts.scenario))
    throw new OptionError(`unknown scenario ${opts.scenario}; known: ${SCENARIOS}`);
  return opts;
}

const toolCall = (held, tool, args) =>
  JSON.stringify({ task_id: held.task.id, phase_token: held.phase_token, tool_name: tool, args });

/** The autocannon settings of `scenario` against `build` (the same requests as bench/run.mjs). */
function requestsOf(scenario, build) {
  const read = toolCall(build.held, 'read_files', { paths: ['docs/bench-4k.md'] });
  const headers = { authorization: `Bearer ${build.agent}` };
  if (scenario === 'health') return { url: `${build.server.url}/health/live` };
  if (scenario === 'execute_read')
    return { url: `${build.server.url}/api/v1/tools/execute`, method: 'POST', headers, body: read };
  return {
    url: build.server.url,
    headers,
    requests: [
      { method: 'POST', path: '/api/v1/tools/authorize', body: read },
      {
        method: 'POST',
        path: '/api/v1/tools/authorize',
        body: toolCall(build.held, 'write_files', { path: 'src/x.ts', content: 'x' }),
      },
    ],
  };
}

async function startBuild(name, cli, opts, nodeOptions) {
  const dir = mkdtempSync(join(tmpdir(), `orch-pair-${name}-`));
  await prepareBackend('file', dir, opts.tasks, {});
  const workspace = join(dir, '.orchestrator', 'workspace');
  mkdirSync(join(workspace, 'docs'), { recursive: true });
  writeFileSync(join(workspace, 'docs', 'bench-4k.md'), 'x'.repeat(4095) + '\n');
  serverCliAt(cli);
  const server = await startServer(dir, nodeOptions ? { NODE_OPTIONS: nodeOptions } : {});
  const agent = token('agent', 'bench-holder');
  return { name, dir, server, agent, held: await claim(server.url, agent), cpu: [], p99: [], rssPeak: [] };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const builds = [];
  try {
    builds.push(await startBuild('against', opts.against, opts, opts.againstNodeOptions));
    builds.push(await startBuild('this', join(ROOT, 'dist', 'cli', 'main.js'), opts, opts.nodeOptions));
    const run = (build, duration) =>
      cannon(
        opts.scenario,
        { connections: opts.connections, duration },
        build.server.pid,
        requestsOf(opts.scenario, build),
      );
    for (const build of builds) await run(build, 2);
    for (let round = 0; round < opts.rounds; round++) {
      for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
        const rss = sampleRss(build.server.pid, 100);
        const result = await run(build, opts.burst);
        build.rssPeak.push(rss.stop().rss_mb_peak);
        if (result.non2xx || result.errors)
          throw new Error(`${build.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
        build.cpu.push(result.cpu_us);
        build.p99.push(result.p99);
      }
    }
    for (const build of builds)
      console.log(
        `${build.name.padEnd(8)} ${opts.scenario}: median ${median(build.cpu)} µs CPU per request (${build.cpu.join(' ')}); ` +
          `p99 median ${median(build.p99)} ms (${build.p99.join(' ')}); RSS peak ${Math.max(...build.rssPeak).toFixed(0)} MB`,
      );
    const ratio = (key) => (median(builds[1][key]) / median(builds[0][key])).toFixed(3);
    console.log(`this/against: CPU ${ratio('cpu')}, p99 ${ratio('p99')}`);
  } finally {
    for (const build of builds) {
      await build.server.stop();
      rmSync(build.dir, { recursive: true, force: true });
    }
  }
}

main().catch((error) => {
  console.error(error instanceof OptionError ? error.message : error);
  process.exit(error instanceof OptionError ? 2 : 1);
});
