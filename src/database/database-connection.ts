import pg from 'pg';
import { DatabaseUnavailableError } from './database-errors.js';
import { type DatabaseTarget } from './database-target.js';

/**
 * One connected client. A failure to connect becomes DatabaseUnavailableError naming
 * `database.url` with its password hidden; `statementTimeoutMs` 0 means no limit (migrations).
 */
export async function connectDatabase(
  target: DatabaseTarget,
  options: { applicationName: string; statementTimeoutMs?: number },
): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: target.url,
    application_name: options.applicationName,
    connectionTimeoutMillis: target.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs ?? target.statementTimeoutMs,
  });
  // A dropped connection surfaces on the next query; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new DatabaseUnavailableError(target.url, target.source, error);
  }
  return client;
}
