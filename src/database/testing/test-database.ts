import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabasePool } from '../database-pool.js';
import { readMigrations } from '../migration-files.js';
import { Migrator } from '../migrator.js';

/**
 * The PostgreSQL server tests use: this machine's (scripts/ensure-test-deps.sh starts it), or
 * ORCHESTRATOR_TEST_DATABASE_URL. Each test file gets its own database, dropped afterwards.
 */
export const TEST_SERVER_URL =
  process.env.ORCHESTRATOR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server, named uniquely for this process. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `orch_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
  };
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh test database with every migration applied, and a pool on it (closed by `drop`). */
export async function createMigratedTestDatabase(
  schema = 'orchestrator',
): Promise<TestDatabase & { pool: pg.Pool }> {
  const db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await new Migrator(client, schema, readMigrations()).migrate();
  } finally {
    await client.end();
  }
  const pool = openTestPool(db.url, { schema });
  return {
    ...db,
    pool,
    drop: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

/** A pool on a test database as a server process would open it (another process: another pool). */
export function openTestPool(
  url: string,
  { schema = 'orchestrator', applicationName = 'orchestrator-test', size = 8 } = {},
): pg.Pool {
  return openDatabasePool(
    { url, source: 'test', schema, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 },
    { applicationName, size },
  );
}
