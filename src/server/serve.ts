import cluster from 'node:cluster';
import { type Logger } from 'pino';
import { type AppConfig } from '../config/app-config.js';
import { loadConfig } from '../config/config.loader.js';
import { resolveSigningSecret } from '../config/signing-secret.js';
import { createRootLogger } from '../logging/logger.factory.js';
import { superviseWorkers, type WorkerMessage } from './cluster-supervisor.js';
import { exitGracefullyOnSignals } from './graceful-shutdown.js';
import { createHttpApp } from './http-app.js';
import { tuneHeapForServing } from './heap-tuning.js';
import { listen } from './http-listen.js';
import { checkWritableDirectories } from './preflight.js';
import { checkSandboxPaths } from './sandbox-preflight.js';
import { notifyReady } from './systemd-notify.js';
import { StartupError } from './startup-error.js';
import { DomainError } from '../common/domain/domain-error.js';

export interface ServeOptions {
  configPath?: string;
}

/** Backends whose state can be shared by several processes. */
const MULTI_PROCESS_BACKENDS = new Set<string>(['memory', 'postgres']);

/**
 * `orchestrator serve`: load and validate config, check directories, then run one server
 * process or a supervised cluster of them. Start-up refusals throw ConfigError/StartupError.
 */
export async function serve(options: ServeOptions = {}): Promise<void> {
  const config = loadConfig({ configPath: options.configPath });
  const logger = createRootLogger(config.values.logging, config.baseDir);
  if (cluster.isWorker) return runServer(config, logger, { worker: true });

  const { warnings } = resolveSigningSecret(config);
  for (const warning of warnings) logger.warn(warning);
  checkWritableDirectories(config);
  checkSandboxPaths(config);

  const workers = effectiveWorkers(config, logger);
  if (config.values.state.backend === 'postgres') await checkConnectionBudget(config, workers, logger);
  if (workers > 1) {
    superviseWorkers(workers, logger, config.values.server.shutdown_grace_seconds);
    return;
  }
  await runServer(config, logger, { worker: false });
}

function effectiveWorkers(config: AppConfig, logger: Logger): number {
  const { workers } = config.values.server;
  const backend = config.values.state.backend;
  if (workers > 1 && !MULTI_PROCESS_BACKENDS.has(backend)) {
    logger.warn(
      `server.workers=${workers} (${config.sourceOf('server.workers')}) but the ${backend} state store is owned by one process: running 1 worker`,
    );
    return 1;
  }
  if (workers > 1 && backend === 'memory') {
    logger.warn(
      `server.workers=${workers} with the memory store: each worker keeps its own state (use for stateless tests only)`,
    );
  }
  return workers;
}

/** Warns with the numbers when the processes may open more connections than PostgreSQL allows. */
async function checkConnectionBudget(config: AppConfig, workers: number, logger: Logger): Promise<void> {
  const { readConnectionBudget, connectionBudgetWarning } = await import('../database/connection-budget.js');
  const budget = await readConnectionBudget(config, workers);
  const warning = connectionBudgetWarning(budget);
  if (warning) logger.warn(warning);
  else logger.info({ connections: budget.needed, available: budget.available }, 'connection budget');
}

async function runServer(config: AppConfig, logger: Logger, { worker }: { worker: boolean }): Promise<void> {
  const v8Flags = tuneHeapForServing();
  if (v8Flags.length > 0) logger.debug({ v8_flags: v8Flags }, 'V8 flags set for serving');
  const { secret } = resolveSigningSecret(config, process.env, { createDevSecret: !worker });
  const app = await createHttpApp({ config, secret, logger }).catch((err: unknown) => {
    throw refusalOf(err) ?? err;
  });
  exitGracefullyOnSignals(app, logger, config.values.server.shutdown_grace_seconds);
  const url = await listen(app, config);
  if (worker) {
    process.send?.({ type: 'listening', url } satisfies WorkerMessage);
    return;
  }
  logger.info({ url, pid: process.pid, config_file: config.file }, 'listening');
  const notified = await notifyReady();
  if (notified.startsWith('failed')) logger.warn(`systemd readiness notification ${notified}`);
}

/** Start-up failures that are the operator's to fix (state locked, workflow invalid) exit 2 with their message. */
function refusalOf(err: unknown): StartupError | null {
  if (err instanceof DomainError && REFUSALS.has(err.code)) return new StartupError(err.message);
  return null;
}

const REFUSALS = new Set([
  'state_locked',
  'workflow_invalid',
  'workflow_not_found',
  'state_write_failed',
  'state_damaged',
  'audit_anchor_mismatch',
  'audit_anchor_corrupt',
]);
