import { type AppConfig } from '../config/app-config.js';
import { DatabaseUnavailableError, MigrationRefusedError } from './database-errors.js';
import { databaseTarget, type DatabaseTarget } from './database-target.js';
import { label } from './migration-plan.js';
import { readMigrations } from './migration-files.js';
import { SharedDatabase } from './shared-database.js';

export interface OpenedDatabase {
  readonly database: SharedDatabase;
  readonly target: DatabaseTarget;
  /** Migrations applied by this start (empty when the schema was current). */
  readonly applied: readonly string[];
}

/**
 * Start-up for `state.backend: postgres`: connects (unreachable → exit 2 naming `database.url`,
 * password hidden), applies pending migrations when `database.migrate_on_start` is on (under the
 * migration lock, so replicas starting together are safe) or refuses to start on a schema that
 * does not match this code, then opens the shared pool and checks it answers.
 */
export async function openDatabase(config: AppConfig, applicationName: string): Promise<OpenedDatabase> {
  const target = databaseTarget(config);
  // Loaded here: the other backends and commands never load `pg`.
  const { connectDatabase } = await import('./database-connection.js');
  const { Migrator } = await import('./migrator.js');
  const { openDatabasePool } = await import('./database-pool.js');
  const client = await connectDatabase(target, { applicationName, statementTimeoutMs: 0 });
  let applied: string[] = [];
  try {
    const migrator = new Migrator(client, target.schema, readMigrations());
    if (config.values.database.migrate_on_start) {
      applied = (await migrator.migrate()).applied.map((a) => label(a));
    } else {
      const status = await migrator.status();
      if (status.problems.length > 0 || status.pending.length > 0) {
        throw new MigrationRefusedError(
          status.problems.map((p) => p.code),
          `the database schema ${target.schema} is at version ${status.version} of ${status.latest} and ` +
            `database.migrate_on_start is false: run \`orchestrator db migrate\`` +
            (status.problems.length > 0 ? ` (${status.problems.map((p) => p.message).join('; ')})` : ''),
        );
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  const { pool_size, max_overflow } = config.values.database;
  const pool = openDatabasePool(target, { applicationName, size: pool_size + max_overflow });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(target.url, target.source, error);
  }
  return { database: new SharedDatabase(pool), target, applied };
}
