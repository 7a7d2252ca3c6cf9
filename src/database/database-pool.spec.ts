import { UnavailableError } from '../common/domain/domain-error.js';
import { queryPool, withTransaction } from './database-pool.js';
import { createMigratedTestDatabase, TEST_SERVER_URL } from './testing/test-database.js';
import pg from 'pg';

describe('withTransaction', () => {
  let db: Awaited<ReturnType<typeof createMigratedTestDatabase>>;
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
  });
  afterAll(() => db.drop());

  it('survives the connection being lost between two statements: 503, the process lives, the pool recovers', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const outcome = withTransaction(db.pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await terminateBackend(rows[0]!.pid);
        // Let the server's termination notice arrive while no statement of ours is running.
        await new Promise((r) => setTimeout(r, 200));
        await client.query('SELECT 1');
      });
      await expect(outcome).rejects.toBeInstanceOf(UnavailableError);
      await expect(outcome).rejects.toMatchObject({ code: 'state_unavailable' });
    } finally {
      process.removeListener('uncaughtException', record);
    }
    expect(uncaught).toEqual([]);
    expect((await queryPool(db.pool, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});

async function terminateBackend(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}
