import type pg from 'pg';
import { ManualClock } from '../../../common/domain/clock.js';
import { SequentialIds } from '../../../common/domain/ids.js';
import { withTransaction } from '../../../database/database-pool.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../../database/testing/test-database.js';
import { createTask } from '../../../tasks/domain/task-factory.js';
import type { Task } from '../../../tasks/domain/task.model.js';
import { PostgresStateRepository } from '../postgres-state.repository.js';
import { contentDigest, type BackupContent } from './backup-format.js';
import { readBackupContent } from './read-backup-content.js';
import { replaceContent } from './replace-content.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

/** The snapshot read and the restore write against a real database: what one reads, the other brings back. */
describe('readBackupContent and replaceContent', () => {
  let db: TestDatabase & { pool: pg.Pool };
  let repo: PostgresStateRepository;
  const clock = new ManualClock(T0);
  const ids = new SequentialIds('task');

  beforeAll(async () => {
    db = await createMigratedTestDatabase();
    repo = new PostgresStateRepository({ pool: db.pool });
  });
  afterAll(async () => {
    await repo.close();
    await db.drop();
  });

  const add = (title: string, dependencies: string[] = []): Promise<Task> => {
    clock.advance(1);
    const input = { title, workflow: { name: 'agent', version: '1' }, initialPhase: 'PLAN' };
    return repo.createTask(
      createTask({ ...input, dependencies, maxAttempts: 3, createdBy: 'op' }, { clock, ids }),
    );
  };
  const read = async (): Promise<BackupContent> => {
    const client = await db.pool.connect();
    try {
      return await readBackupContent(client);
    } finally {
      client.release();
    }
  };
  const restore = (content: BackupContent) =>
    withTransaction(db.pool, (client) => replaceContent(client, content, '/backups/b.json'));
  /** What claims wait on: not in the backup file, so recounted on restore. */
  const depsPending = async () =>
    (
      await db.pool.query<{ id: string; deps_pending: number }>(
        'SELECT id, deps_pending FROM tasks ORDER BY id',
      )
    ).rows;

  it('brings back tasks, dependency counts, revocations and idempotency keys; twice gives the same', async () => {
    const done = await add('done');
    const open = await add('open');
    await add('waits for both', [done.id, open.id]);
    await add('waits for done', [done.id]);
    await repo.mutateTask(done.id, (t) => ({ ...t, status: 'completed' }));
    await repo.addRevocation('jti-revoked', T0 + DAY);
    await repo.putIdempotencyRecord(
      { key: 'op:create:k1', response: { id: open.id }, expires_at: T0 + DAY },
      T0,
    );
    const backedUp = await read();
    const counts = await depsPending();
    expect(counts.map((r) => r.deps_pending)).toEqual([0, 0, 1, 0]);

    // The state moves on: every table changes.
    await add('after the backup', [open.id]);
    await repo.mutateTask(open.id, (t) => ({ ...t, title: 'renamed' }));
    await repo.addRevocation('jti-later', T0 + DAY);
    await db.pool.query('DELETE FROM revocations WHERE jti = $1', ['jti-revoked']);
    await db.pool.query('DELETE FROM idempotency_keys');

    await restore(backedUp);
    const once = await read();
    expect(once).toEqual(backedUp);
    expect(await depsPending()).toEqual(counts);
    expect(await repo.isRevoked('jti-revoked')).toBe(true);
    expect(await repo.isRevoked('jti-later')).toBe(false);
    expect(await repo.getIdempotencyRecord('op:create:k1', T0)).toMatchObject({ response: { id: open.id } });

    await restore(backedUp);
    expect(contentDigest(await read())).toBe(contentDigest(once));
    expect(await depsPending()).toEqual(counts);
  });

  it('refuses content holding one task twice, and the transaction leaves the tables as they were', async () => {
    const before = await read();
    const twice = { ...before, tasks: [...before.tasks, before.tasks[0]!] };
    await expect(restore(twice)).rejects.toThrow(/cannot be restored: it holds task task-\S+ more than once/);
    expect(await read()).toEqual(before);
  });
});
