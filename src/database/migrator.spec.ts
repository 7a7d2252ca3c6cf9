import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MigrationFailedError, MigrationRefusedError } from './database-errors.js';
import { readMigrations } from './migration-files.js';
import { type Migration } from './migration-plan.js';
import { Migrator } from './migrator.js';
import { createTestDatabase, type TestDatabase } from './testing/test-database.js';

let db: TestDatabase;
const clients: pg.Client[] = [];

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  clients.push(c);
  return c;
}

async function migrator(migrations: readonly Migration[] = readMigrations(), schema = 'orchestrator') {
  return new Migrator(await client(), schema, migrations);
}

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

beforeEach(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await db.drop();
});

describe('Migrator against PostgreSQL', () => {
  it('applies the shipped migrations to an empty database, then has nothing to do', async () => {
    const m = await migrator();
    expect((await m.status()).pending.length).toBeGreaterThan(0);
    const first = await m.migrate();
    expect(first.applied.map((a) => a.version)).toEqual(readMigrations().map((x) => x.version));
    expect(first.status).toMatchObject({ version: first.status.latest, pending: [], problems: [] });
    const tables = await (
      await client()
    ).query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'orchestrator' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.t)).toEqual(
      expect.arrayContaining(['schema_migrations', 'tasks', 'audit_entries', 'events']),
    );
    const second = await (await migrator()).migrate();
    expect(second.applied).toEqual([]);
  });

  it('three migrators starting at once apply each file exactly once', async () => {
    const racers = await Promise.all([migrator(), migrator(), migrator()]);
    const results = await Promise.all(racers.map((m) => m.migrate()));
    const appliedVersions = results.flatMap((r) => r.applied.map((a) => a.version)).sort();
    expect(appliedVersions).toEqual(readMigrations().map((x) => x.version));
    const rows = await (await client()).query('SELECT version FROM orchestrator.schema_migrations');
    expect(rows.rowCount).toBe(readMigrations().length);
  });

  it('refuses, changing nothing, when an applied file changed', async () => {
    const dir = migrationsDir({ '0001_a.sql': 'CREATE TABLE a (x int);' });
    await (await migrator(readMigrations(dir))).migrate();
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x int, y int);');
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (x int);');
    const m = await migrator(readMigrations(dir));
    await expect(m.migrate()).rejects.toThrow(MigrationRefusedError);
    await expect(m.migrate()).rejects.toThrow(/0001_a was applied with checksum .* must never change/);
    expect((await m.status()).problems.map((p) => p.code)).toEqual(['migration_checksum_mismatch']);
    const b = await (await client()).query("SELECT to_regclass('orchestrator.b') AS t");
    expect(b.rows[0].t).toBeNull();
    rmSync(dir, { recursive: true });
  });

  it('refuses a database newer than the code (an old replica during a rollback)', async () => {
    const dir = migrationsDir({
      '0001_a.sql': 'CREATE TABLE a (x int);',
      '0002_b.sql': 'CREATE TABLE b (x int);',
    });
    await (await migrator(readMigrations(dir))).migrate();
    rmSync(join(dir, '0002_b.sql'));
    const old = await migrator(readMigrations(dir));
    await expect(old.migrate()).rejects.toThrow(/has migration 0002_b but this code knows versions up to 1/);
    expect((await old.status()).problems.map((p) => p.code)).toEqual(['database_newer_than_code']);
    rmSync(dir, { recursive: true });
  });

  it('rolls a failing migration back whole and keeps the ones before it', async () => {
    const dir = migrationsDir({
      '0001_a.sql': 'CREATE TABLE a (x int);',
      '0002_b.sql': 'CREATE TABLE b (x int);\nSELECT no_such_function();',
    });
    const m = await migrator(readMigrations(dir));
    await expect(m.migrate()).rejects.toThrow(MigrationFailedError);
    const status = await m.status();
    expect(status.version).toBe(1);
    expect(status.pending.map((p) => p.name)).toEqual(['b']);
    const b = await (await client()).query("SELECT to_regclass('orchestrator.b') AS t");
    expect(b.rows[0].t).toBeNull();
    rmSync(dir, { recursive: true });
  });

  it('keeps schemas apart: database.schema names where everything lives', async () => {
    await (await migrator(readMigrations(), 'tenant_b')).migrate();
    expect((await (await migrator()).status()).version).toBe(0);
    expect((await (await migrator(readMigrations(), 'tenant_b')).status()).pending).toEqual([]);
  });
});

describe('readMigrations', () => {
  it('refuses a stray file name and a gap in the numbering', () => {
    const stray = migrationsDir({ '0001_a.sql': '', 'notes.txt': '' });
    expect(() => readMigrations(stray)).toThrow(/named NNNN_name\.sql/);
    const gap = migrationsDir({ '0001_a.sql': '', '0003_c.sql': '' });
    expect(() => readMigrations(gap)).toThrow(/without gaps/);
    rmSync(stray, { recursive: true });
    rmSync(gap, { recursive: true });
  });
});
