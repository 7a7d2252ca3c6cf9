/**
 * CPU time of a set of processes over a window: the bench's server instances (known pids) and the
 * PostgreSQL backends serving one database (pids from pg_stat_activity, which come and go as the
 * instances' pools open and close connections, so they are sampled during the window).
 */
/* global setInterval, clearInterval */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { cpuSeconds } from './server.mjs';

/** CPU seconds of `pid`, or null when it has exited (or is not visible from this namespace). */
function cpuOrNull(pid) {
  try {
    return cpuSeconds(pid);
  } catch {
    return null;
  }
}

/**
 * Times the kernel took the CPU away from `pid`'s main thread (the JavaScript thread) while it
 * could still run: how much it competed for the cores.
 */
function preemptions(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/**
 * What `pids` used between start() and stop(): CPU seconds summed over them, and preemptions of
 * their main threads summed.
 */
export function pidsCpu(pids) {
  const read = (pid) => ({ cpu: cpuSeconds(pid), preempted: preemptions(pid) });
  const before = new Map();
  return {
    start: () => pids.forEach((pid) => before.set(pid, read(pid))),
    stop: () =>
      pids.reduce(
        (sum, pid) => {
          const now = read(pid);
          return {
            seconds: sum.seconds + now.cpu - before.get(pid).cpu,
            preempted: sum.preempted + now.preempted - before.get(pid).preempted,
          };
        },
        { seconds: 0, preempted: 0 },
      ),
  };
}

/**
 * CPU seconds the PostgreSQL backends of database `name` used between start() and stop(), read
 * from /proc/<pid>/stat of every pid pg_stat_activity lists for it, sampled every `everyMs`. A
 * backend first seen after start() counts from 0 (it was forked inside the window); one that
 * exits between two samples loses its time since the last one, so the sum is a lower bound.
 * Shared processes (WAL writer, checkpointer) are not counted. Null when no pid is readable
 * (PostgreSQL on another host or in another PID namespace).
 */
export function postgresBackendsCpu(adminUrl, name, everyMs = 200) {
  const client = new pg.Client({ connectionString: adminUrl });
  const first = new Map();
  const last = new Map();
  let timer = null;
  let readable = false;
  let pending = Promise.resolve();
  const sample = async (atStart) => {
    const { rows } = await client.query(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    for (const { pid } of rows) {
      const cpu = cpuOrNull(pid);
      if (cpu === null) continue;
      readable = true;
      if (!first.has(pid)) first.set(pid, atStart ? cpu : 0);
      last.set(pid, cpu);
    }
  };
  const queue = (atStart) => (pending = pending.then(() => sample(atStart)));
  return {
    async start() {
      await client.connect();
      await queue(true);
      timer = setInterval(() => queue(false).catch(() => undefined), everyMs);
    },
    async stop() {
      clearInterval(timer);
      // Backends still alive get their final reading; those gone keep their last sample.
      await pending.catch(() => undefined);
      for (const pid of last.keys()) {
        const cpu = cpuOrNull(pid);
        if (cpu !== null) last.set(pid, cpu);
      }
      await queue(false).catch(() => undefined);
      await client.end();
      if (!readable) return null;
      let sum = 0;
      for (const [pid, cpu] of last) sum += cpu - first.get(pid);
      return { seconds: sum, backends: last.size };
    },
  };
}
