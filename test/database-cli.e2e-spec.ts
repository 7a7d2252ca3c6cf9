import pg from 'pg';
import { baseEnv, runCli } from './support/server-process.js';
import { createTestDatabase, type TestDatabase } from '../src/database/testing/test-database.js';

/** `orchestrator db status|migrate` against this machine's PostgreSQL, one fresh database per test. */
let db: TestDatabase;
// Trust auth ignores the password: it is here to prove it never reaches the output.
const withPassword = (url: string) => url.replace('//postgres@', '//postgres:hunter2@');
const cli = (args: string[], url = withPassword(db.url)) =>
  runCli(['db', ...args], { env: baseEnv({ ORCHESTRATOR_DATABASE_URL: url }) });

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.drop());

describe('orchestrator db', () => {
  it('status shows a new database behind, migrate brings it up to date, and no output holds the password', async () => {
    const before = await cli(['status']);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(
      /postgres:\[redacted\]@127\.0\.0\.1:5432\/orch_t_\S+ schema orchestrator: version 0 of 3 \(3 pending/,
    );
    expect(before.stdout).toContain('pending  0001_init');
    expect(before.stdout).toContain('pending  0002_event_numberer');
    expect(before.stdout).toContain('pending  0003_audit_decision_actor');

    const migrate = await cli(['migrate']);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(
      /^applied 0001_init \(\d+ ms\)\napplied 0002_event_numberer \(\d+ ms\)\napplied 0003_audit_decision_actor \(\d+ ms\)$/m,
    );
    const again = await cli(['migrate']);
    expect(again.stdout).toMatch(/is up to date at version 3/);

    const status = await cli(['status', '--json']);
    const body = JSON.parse(status.stdout) as {
      version: number;
      latest: number;
      pending: unknown[];
      database: string;
    };
    expect(body).toMatchObject({ version: 3, latest: 3, pending: [] });
    expect(body.database).toContain(':[redacted]@');
    for (const r of [before, migrate, again, status]) expect(r.stdout + r.stderr).not.toContain('hunter2');
  });

  it('refuses a database whose applied migration changed: exit 2 and nothing applied', async () => {
    expect((await cli(['migrate'])).code).toBe(0);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query("UPDATE orchestrator.schema_migrations SET checksum = repeat('0', 64) WHERE version = 1");
    await c.end();
    const status = await cli(['status']);
    expect(status.code).toBe(2);
    expect(status.stdout).toContain('migration_checksum_mismatch');
    const migrate = await cli(['migrate']);
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toMatch(
      /^orchestrator: the database does not match this code, nothing was migrated: migration 0001_init/,
    );
  });

  it('an unreachable database exits 2 with one line naming database.url, its source and the cause, password hidden', async () => {
    const r = await cli(['status'], 'postgres://orch:hunter2@127.0.0.1:1/nowhere');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      'database.url=postgres://orch:[redacted]@127.0.0.1:1/nowhere (from env ORCHESTRATOR_DATABASE_URL) cannot be used:',
    );
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).not.toContain('hunter2');
  });

  it('without database.url exits 2 saying how to set it', async () => {
    const r = await runCli(['db', 'status'], { env: baseEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /database\.url is not set: set it in the config file or ORCHESTRATOR_DATABASE_URL/,
    );
  });
});
