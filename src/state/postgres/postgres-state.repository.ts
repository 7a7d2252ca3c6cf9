import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { AuditEntryInput } from '../../audit/domain/audit-entry.js';
import { ConflictError, NotFoundError } from '../../common/domain/domain-error.js';
import { redactUrlCredentials } from '../../common/domain/url-credentials.js';
import { asUnavailable, queryPool, withTransaction } from '../../database/database-pool.js';
import { claim, expireLease } from '../../tasks/domain/task-state-machine.js';
import { TASK_STATUSES, type Task, type TaskStatus } from '../../tasks/domain/task.model.js';
import type { OutboxEntry } from '../index/state-op.js';
import { stateClosed } from '../state-errors.js';
import {
  StateRepository,
  type ClaimRequest,
  type CreateOptions,
  type IdempotencyRecord,
  type LeaseExpiryRequest,
  type MutateOptions,
  type StateHealth,
  type StatusCounts,
  type TaskListQuery,
  type TaskMutation,
  type TaskPage,
} from '../state.repository.js';
import { assertSameIdentity, staleTokenVersion } from '../task-mutation-rules.js';
import { readOutbox, type OutboxSource } from './audit-outbox-rows.js';
import { writeChange } from './change-write.js';
import { lockNextEligible } from './claim-query.js';
import * as keys from './key-records.js';
import { LEASE_EXPIRY_BATCH, lockExpiredLeases } from './lease-expiry-query.js';
import { checkDependencies, insertDependencies } from './task-dependencies.js';
import { listTaskPage } from './task-list-query.js';
import { TASK_ROW, insertTask, releaseDependants, taskOf, updateTask, type TaskRow } from './task-rows.js';

export interface PostgresStateOptions {
  /** The shared pool; its owner ends it (close() does not). */
  readonly pool: pg.Pool;
  /** Written into audit_outbox.instance_id. */
  readonly instanceId?: string;
  readonly changeId?: () => string;
  /** Time of outbox rows (stored_at); every task time comes from the callers' clocks. */
  readonly now?: () => number;
}

/** How often a mutation re-reads and reapplies after losing a compare-and-swap. */
const MAX_CAS_ATTEMPTS = 5;

/** Thrown inside a transaction to roll it back and run the mutation again on a fresh read. */
class RevisionMoved extends Error {}

/**
 * The state port on PostgreSQL, shared by every instance. A task row holds the frozen Task as
 * the domain produced it (`doc`) plus copies of the fields SQL filters on; every change runs the
 * same pure domain functions as the memory/file adapters and writes doc and columns together.
 * Each mutation is one transaction, with its audit outbox row, its events (event_outbox) and its
 * idempotency record in it.
 * Claims and lease sweeps lock with SKIP LOCKED; other mutations compare-and-swap on `revision`.
 */
export class PostgresStateRepository extends StateRepository {
  private readonly pool: pg.Pool;
  /** Revisions of tasks `getTask` returned, for `basis` (a task snapshot is frozen, so its own key). */
  private readonly revisions = new WeakMap<Task, string>();
  private readonly outbox: OutboxSource;
  private closed = false;

  constructor(options: PostgresStateOptions) {
    super();
    this.pool = options.pool;
    this.outbox = {
      changeId: options.changeId ?? randomUUID,
      now: options.now ?? Date.now,
      instanceId: options.instanceId ?? null,
    };
  }

  async createTask(task: Task, options: CreateOptions = {}): Promise<Task> {
    this.assertOpen();
    return withTransaction(this.pool, async (client) => {
      const exists = await client.query('SELECT 1 FROM tasks WHERE id = $1', [task.id]);
      if (exists.rowCount) throw taskExists(task.id);
      const depsPending = await checkDependencies(client, task);
      // A concurrent create of the same id commits first: the insert finds it.
      if (!(await insertTask(client, task, depsPending))) throw taskExists(task.id);
      await insertDependencies(client, task);
      await writeChange(client, this.outbox, {
        audit: options.audit ? [options.audit(task)] : [],
        events: options.events?.(task) ?? [],
      });
      return taskOf({ doc: task });
    });
  }

  async getTask(id: string): Promise<Task | null> {
    this.assertOpen();
    const result = await queryPool<TaskRow>(this.pool, `SELECT ${TASK_ROW} FROM tasks WHERE id = $1`, [id]);
    const row = result.rows[0];
    if (!row) return null;
    const task = taskOf(row);
    this.revisions.set(task, row.revision);
    return task;
  }

  async getTasks(ids: readonly string[]): Promise<Task[]> {
    this.assertOpen();
    if (ids.length === 0) return [];
    const result = await queryPool<{ doc: Task }>(
      this.pool,
      'SELECT doc FROM tasks WHERE id = ANY($1::text[])',
      [[...ids]],
    );
    const byId = new Map(result.rows.map((r) => [r.doc.id, taskOf(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async listTasks(query: TaskListQuery): Promise<TaskPage> {
    this.assertOpen();
    return listTaskPage(this.pool, query);
  }

  async countByStatus(): Promise<StatusCounts> {
    this.assertOpen();
    const result = await queryPool<{ status: TaskStatus; n: string }>(
      this.pool,
      'SELECT status, count(*) AS n FROM tasks GROUP BY status',
    );
    const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    for (const row of result.rows) counts[row.status] = Number(row.n);
    return counts;
  }

  async tasksHeldBy(agentId: string): Promise<Task[]> {
    this.assertOpen();
    const result = await queryPool<{ doc: Task }>(
      this.pool,
      "SELECT doc FROM tasks WHERE status = 'claimed' AND holder = $1 ORDER BY created_seq",
      [agentId],
    );
    return result.rows.map(taskOf);
  }

  async claimNextEligible(request: ClaimRequest): Promise<Task | null> {
    this.assertOpen();
    return withTransaction(
      this.pool,
      async (client) => {
        const row = await lockNextEligible(client, request);
        if (row === null) return null;
        // The domain's claim, as the other adapters apply it: the doc is the same.
        const claimed = claim(taskOf(row), request, { now: () => request.now });
        // The row is locked: nothing moved it since the read, so the swap cannot miss.
        await writeChange(client, this.outbox, {
          task: { next: claimed, revision: row.revision },
          audit: request.audit ? [request.audit(claimed)] : [],
          events: request.events?.(claimed) ?? [],
        });
        return taskOf({ doc: claimed });
      },
      // lockNextEligible sends BEGIN with its statement.
      { begin: 'inline' },
    );
  }

  async mutateTask(id: string, mutation: TaskMutation, options: MutateOptions = {}): Promise<Task> {
    this.assertOpen();
    const fromBasis = options.basis && (await this.mutateFromBasis(id, mutation, options, options.basis));
    if (fromBasis) return fromBasis;
    for (let attempt = 1; ; attempt++) {
      // The last attempt locks the row it reads, so it cannot lose the swap: a hot row (many
      // writers at once) costs waiting, never a spurious failure.
      const lock = attempt >= MAX_CAS_ATTEMPTS;
      try {
        return await withTransaction(
          this.pool,
          (client) => this.mutateOnce(client, id, mutation, options, lock),
          // mutateOnce's read sends BEGIN with it.
          { begin: 'inline' },
        );
      } catch (error) {
        if (!(error instanceof RevisionMoved) || lock) throw error;
      }
    }
  }

  /**
   * The common case of a change the caller just read the task for: decide on that read and write
   * it with its audit entry and events in ONE statement (its own transaction), compare-and-swap
   * on the revision read. Null — and nothing written — whenever that is not the whole story: the
   * row moved since, the mutation refuses or changes nothing on the basis (the fresh read decides
   * and words it), an idempotency record or dependants must be written too.
   */
  private async mutateFromBasis(
    id: string,
    mutation: TaskMutation,
    options: MutateOptions,
    basis: Task,
  ): Promise<Task | null> {
    const revision = this.revisions.get(basis);
    if (revision === undefined || basis.id !== id || options.remember) return null;
    if (options.expectedTokenVersion !== undefined && options.expectedTokenVersion !== basis.token_version)
      return null;
    let next: Task;
    try {
      next = mutation(basis);
    } catch {
      return null;
    }
    if (next === basis || (next.status === 'completed' && basis.status !== 'completed')) return null;
    assertSameIdentity(basis, next);
    let written: boolean;
    try {
      written = await writeChange(this.pool, this.outbox, {
        task: { next, revision },
        audit: options.audit ? [options.audit(next)] : [],
        events: options.events?.(next) ?? [],
      });
    } catch (error) {
      throw asUnavailable(error);
    }
    return written ? taskOf({ doc: next }) : null;
  }

  /**
   * Reads (without a lock unless `lock`), decides in Node, and writes only if the row is still at the revision
   * read. Losing the swap means another change committed: the caller runs this again, and a stale
   * token version then shows as `stale_token_version`.
   */
  private async mutateOnce(
    client: pg.PoolClient,
    id: string,
    mutation: TaskMutation,
    options: MutateOptions,
    lock: boolean,
  ): Promise<Task> {
    const row = await readForChange(client, id, lock);
    if (!row) throw new NotFoundError('task_not_found', `No task with id ${id}`);
    const current = taskOf(row);
    if (
      options.expectedTokenVersion !== undefined &&
      options.expectedTokenVersion !== current.token_version
    ) {
      throw staleTokenVersion(id, current.token_version);
    }
    const next = mutation(current);
    if (next !== current) assertSameIdentity(current, next);
    // The row, its audit entry and its events in one statement (the entry even when the task is
    // unchanged: the decision is still audited).
    const written = await writeChange(client, this.outbox, {
      ...(next !== current ? { task: { next, revision: row.revision } } : {}),
      audit: options.audit ? [options.audit(next)] : [],
      events: options.events?.(next) ?? [],
    });
    if (!written) throw new RevisionMoved();
    if (next.status === 'completed' && current.status !== 'completed') await releaseDependants(client, id);
    if (options.remember) {
      const { key, expiresAt, response } = options.remember;
      await keys.putRemembered(client, { key, expires_at: expiresAt, response: response(next) });
    }
    return next === current ? next : taskOf({ doc: next });
  }

  async expireLeases({ now, retryBackoffMs, audit, events }: LeaseExpiryRequest): Promise<Task[]> {
    this.assertOpen();
    const clock = { now: () => now };
    const expired: Task[] = [];
    for (;;) {
      const batch = await withTransaction(this.pool, async (client) => {
        const rows = await lockExpiredLeases(client, now);
        const changed = rows.map((row) => expireLease(taskOf(row), { retryBackoffMs }, clock));
        for (let i = 0; i < rows.length; i++) await updateTask(client, changed[i]!, rows[i]!.revision);
        await writeChange(client, this.outbox, {
          audit: audit ? changed.map(audit) : [],
          events: events ? changed.flatMap(events) : [],
        });
        return { changed, full: rows.length === LEASE_EXPIRY_BATCH };
      });
      expired.push(...batch.changed.map((doc) => taskOf({ doc })));
      if (!batch.full) return expired;
    }
  }

  async nextLeaseExpiry(): Promise<number | null> {
    this.assertOpen();
    const result = await queryPool<{ at: Date | null }>(
      this.pool,
      "SELECT min(lease_expires_at) AS at FROM tasks WHERE status = 'claimed'",
    );
    return result.rows[0]?.at?.getTime() ?? null;
  }

  async addRevocation(jti: string, expiresAt: number, audit?: AuditEntryInput): Promise<boolean> {
    this.assertOpen();
    return keys.addRevocation(this.pool, this.outbox, jti, expiresAt, audit);
  }

  async isRevoked(jti: string): Promise<boolean> {
    this.assertOpen();
    return keys.isRevoked(this.pool, jti);
  }

  async pruneRevocations(now: number): Promise<number> {
    this.assertOpen();
    return keys.pruneExpired(this.pool, 'revocations', 'jti', now);
  }

  async putIdempotencyRecord(record: IdempotencyRecord, now: number): Promise<IdempotencyRecord> {
    this.assertOpen();
    return keys.putIdempotencyRecord(this.pool, record, now);
  }

  async getIdempotencyRecord(key: string, now: number): Promise<IdempotencyRecord | null> {
    this.assertOpen();
    return keys.getIdempotencyRecord(this.pool, key, now);
  }

  async pruneIdempotencyRecords(now: number): Promise<number> {
    this.assertOpen();
    return keys.pruneExpired(this.pool, 'idempotency_keys', 'key', now);
  }

  async claimMaintenance(name: string, everyMs: number, now: number): Promise<boolean> {
    this.assertOpen();
    return keys.claimMaintenance(this.pool, name, everyMs, now);
  }

  async pendingAudit(): Promise<readonly OutboxEntry[]> {
    this.assertOpen();
    // Only committed rows are visible: an entry never reaches the log without its change.
    return readOutbox(this.pool);
  }

  async acknowledgeAudit(changeIds: readonly string[]): Promise<void> {
    this.assertOpen();
    if (changeIds.length === 0) return;
    await queryPool(this.pool, 'DELETE FROM audit_outbox WHERE change_id = ANY($1::text[])', [
      [...changeIds],
    ]);
  }

  /** Nothing to compact: every commit is durable in the WAL and vacuum reclaims dead rows. */
  async checkpoint(): Promise<void> {
    this.assertOpen();
  }

  /** Refuses later calls; does not end the pool, which its owner shares and ends. */
  async close(): Promise<void> {
    this.closed = true;
  }

  async health(): Promise<StateHealth> {
    if (this.closed) return { status: 'down', backend: 'postgres', details: { closed: true } };
    const started = Date.now();
    try {
      await queryPool(this.pool, 'SELECT 1');
      return { status: 'up', backend: 'postgres', details: { ping_ms: Date.now() - started } };
    } catch (error) {
      return {
        status: 'down',
        backend: 'postgres',
        details: { error: redactUrlCredentials(error instanceof Error ? error.message : String(error)) },
      };
    }
  }

  private assertOpen(): void {
    if (this.closed) throw stateClosed();
  }
}

/**
 * BEGIN and the task's read in one simple-protocol text (one round trip less per change), so the
 * id goes in as an escaped literal: a text of several statements cannot take parameters.
 */
async function readForChange(client: pg.PoolClient, id: string, lock: boolean): Promise<TaskRow | undefined> {
  const answer: unknown = await client.query(
    `BEGIN; SELECT ${TASK_ROW} FROM tasks WHERE id = ${pg.escapeLiteral(id)}${lock ? ' FOR UPDATE' : ''}`,
  );
  const [, read] = answer as [pg.QueryResult, pg.QueryResult<TaskRow>];
  return read.rows[0];
}

function taskExists(id: string): ConflictError {
  return new ConflictError('task_exists', `A task with id ${id} already exists`, { task_id: id });
}
