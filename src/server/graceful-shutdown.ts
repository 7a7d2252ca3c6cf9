import { type Logger } from 'pino';

export interface Closable {
  close(): Promise<void>;
}

/**
 * On SIGTERM or SIGINT: stop accepting connections, let in-flight requests finish, run the
 * modules' shutdown hooks (flush journal and audit, checkpoint), then exit 0. Past
 * `graceSeconds` the process exits 1 so a supervisor knows requests were cut off.
 */
export function exitGracefullyOnSignals(app: Closable, logger: Logger, graceSeconds: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, grace_seconds: graceSeconds }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      logger.error(
        { grace_seconds: graceSeconds },
        'shutdown grace period exceeded: exiting with requests unfinished',
      );
      logger.flush();
      process.exit(1);
    }, graceSeconds * 1000);
    timer.unref();
    app.close().then(
      () => {
        logger.info('shutdown complete');
        logger.flush();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
