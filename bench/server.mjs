/**
 * The processes a bench run starts: the built server (`node dist/cli/main.js serve`) and the bare
 * node:http "ceiling". Every child is killed when the bench exits.
 */
/* global performance, setTimeout, clearTimeout, setInterval, clearInterval */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
let CLI = join(ROOT, 'dist', 'cli', 'main.js');

/** Later servers run the CLI at `path` (a build of another commit, to compare in one run). */
export function serverCliAt(path) {
  CLI = resolve(path);
}

/** The servers' signing secret; bench/http.mjs signs tokens with it. */
export const SECRET = randomBytes(32).toString('hex');

const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

let cpuProfDir = null;
/** Later servers run under `node --cpu-prof`, writing their profile to `dir`. */
export function profileServersInto(dir) {
  cpuProfDir = dir;
}

/** Spawns `serve` in `dir`; resolves at the "listening" log line with the start-up time. */
export function startServer(dir, env = {}) {
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
  const profiling = cpuProfDir !== null;
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
              child.kill(profiling ? 'SIGTERM' : 'SIGKILL'); // SIGTERM lets --cpu-prof write its profile
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
export function cpuSeconds(pid) {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ, 100 on every Linux x86-64/arm64 build

export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/**
 * Samples the RSS of `pid` every `everyMs` until `stop()`, which returns the samples' median and
 * peak (MB): memory moves with garbage collection, so one reading says little.
 */
export function sampleRss(pid, everyMs = 200) {
  const samples = [];
  const take = () => {
    try {
      samples.push(rssMb(pid));
    } catch {
      // the process is gone
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const sorted = [...samples].sort((a, b) => a - b);
      return { rss_mb_median: sorted[Math.floor(sorted.length / 2)], rss_mb_peak: sorted.at(-1) };
    },
  };
}

/** The ceiling: a bare node:http server in its own process, answering a constant JSON body. */
export function startCeiling() {
  const code = `
    const body = JSON.stringify({ status: 'ok', ceiling: true });
    const s = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
    });
    s.keepAliveTimeout = 72000;
    process.on('SIGTERM', () => process.exit(0));
    s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: s.address().port })));`;
  return startChild(['-e', code]);
}

/**
 * The Fastify ceiling: a bare Fastify 5 server (no logger) in its own process, answering
 * `GET /health/live` with a constant JSON body — what the framework under Nest costs alone.
 */
export function startFastifyCeiling() {
  const code = `
    import Fastify from 'fastify';
    const app = Fastify({ logger: false });
    app.get('/health/live', async () => ({ status: 'ok' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    app.server.keepAliveTimeout = 72000;
    process.on('SIGTERM', () => process.exit(0));
    console.log(JSON.stringify({ port: app.server.address().port }));`;
  return startChild(['--input-type=module', '-e', code], ROOT);
}

/** The lean authorize reference (bench/lean-reference.mjs), auditing into `dir`. */
export function startLeanReference(dir, auditFsync) {
  return startChild([join(ROOT, 'bench', 'lean-reference.mjs'), SECRET, dir, String(auditFsync)]);
}

/** A node child that prints `{"port":N}` when listening; its url, pid and stop(). */
function startChild(args, cwd = undefined) {
  const flags = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = spawn(process.execPath, [...flags, ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((r) =>
    child.stdout.once('data', (d) =>
      r({
        url: `http://127.0.0.1:${JSON.parse(String(d)).port}`,
        pid: child.pid,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise((e) => child.once('exit', e));
          child.kill(cpuProfDir ? 'SIGTERM' : 'SIGKILL');
          await exited;
        },
      }),
    ),
  );
}
