import { type AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/config.error.js';

/** The database a command or backend talks to, with where its URL came from (for error messages). */
export interface DatabaseTarget {
  url: string;
  source: string;
  schema: string;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

/** The configured database, or a start-up error naming the key when none is set. */
export function databaseTarget(config: AppConfig): DatabaseTarget {
  const { url, schema, statement_timeout_ms, pool_timeout } = config.values.database;
  if (!url)
    throw new ConfigError(
      'database.url is not set: set it in the config file or ORCHESTRATOR_DATABASE_URL (postgres://user:password@host:5432/db)',
    );
  return {
    url,
    source: config.sourceOf('database.url'),
    schema,
    statementTimeoutMs: statement_timeout_ms,
    connectTimeoutMs: pool_timeout * 1000,
  };
}

/**
 * Where LISTEN connects: `database.listen_url` (a direct or session-mode connection, for
 * deployments whose `database.url` is a transaction-mode PgBouncer, which breaks LISTEN), else
 * `database.url`.
 */
export function listenTarget(config: AppConfig): DatabaseTarget {
  const target = databaseTarget(config);
  const { listen_url } = config.values.database;
  if (!listen_url) return target;
  return { ...target, url: listen_url, source: config.sourceOf('database.listen_url') };
}
