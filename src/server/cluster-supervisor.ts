import cluster, { type Worker } from 'node:cluster';
import { type Logger } from 'pino';
import { notifyReady } from './systemd-notify.js';

export interface WorkerMessage {
  type: 'listening';
  url: string;
}

/** Restarts faster than this many per minute are slowed down, so a crash loop cannot spin. */
const MAX_RESTARTS_PER_MINUTE = 10;

/**
 * The primary process of `server.workers > 1`: forks the workers (they share the listening
 * socket), replaces any that dies, reports readiness once all listen, and on SIGTERM/SIGINT
 * asks every worker to drain and waits for them within the grace period.
 */
export function superviseWorkers(count: number, logger: Logger, graceSeconds: number): void {
  let stopping = false;
  let ready = false;
  const listening = new Set<number>();
  const restarts: number[] = [];

  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (msg: WorkerMessage) => {
      if (msg?.type !== 'listening') return;
      listening.add(worker.id);
      if (!ready && listening.size >= count) {
        ready = true;
        logger.info({ url: msg.url, workers: count, pid: process.pid }, 'listening');
        void notifyReady().then((r) => r.startsWith('failed') && logger.warn(`systemd notify ${r}`));
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('all workers stopped');
        logger.flush();
        process.exit(0);
      }
      return;
    }
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0] < now - 60_000) restarts.shift();
    const delay = restarts.length > MAX_RESTARTS_PER_MINUTE ? 5000 : 0;
    logger.error(
      { worker_pid: worker.process.pid, code, signal, restart_in_ms: delay },
      'worker died: restarting it',
    );
    setTimeout(fork, delay);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(
      () => {
        logger.error('workers did not stop within the grace period: exiting');
        logger.flush();
        process.exit(1);
      },
      (graceSeconds + 2) * 1000,
    ).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  for (let i = 0; i < count; i++) fork();
}
