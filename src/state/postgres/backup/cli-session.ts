import type pg from 'pg';
import { UnavailableError } from '../../../common/domain/domain-error.js';
import type { DatabaseTarget } from '../../../database/database-target.js';
import { readMigrations } from '../../../database/migration-files.js';

/** This CLI's application_name: not `orchestrator <instance>`, so the running-server check skips it. */
export const CLI_APPLICATION = 'orchestrator state';

/**
 * Runs `work` on one connection of its own (no statement timeout: a backup reads every row),
 * in `database.schema`, and closes it. pg and the migrator load only when a command needs them.
 */
export async function withCliClient<T>(
  target: DatabaseTarget,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const { connectDatabase } = await import('../../../database/database-connection.js');
  const pgModule = (await import('pg')).default;
  const client = await connectDatabase(target, { applicationName: CLI_APPLICATION, statementTimeoutMs: 0 });
  try {
    await client.query(`SET search_path TO ${pgModule.escapeIdentifier(target.schema)}`);
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The schema version (latest migration); a database that does not match this code is refused. */
export async function currentSchema(client: pg.Client, target: DatabaseTarget): Promise<number> {
  const { Migrator } = await import('../../../database/migrator.js');
  const status = await new Migrator(client, target.schema, readMigrations()).status();
  if (status.problems.length > 0 || status.pending.length > 0)
    throw new UnavailableError(
      'schema_mismatch',
      `the database schema ${target.schema} is at version ${status.version} of ${status.latest}: run \`orchestrator db migrate\` first; nothing was changed`,
    );
  return status.version;
}
