import type pg from 'pg';
import type { AuditEntryInput } from '../../audit/domain/audit-entry.js';
import type { EventDraft } from '../../events/domain/event.model.js';
import { jsonbText } from '../../events/pipeline/event-rows.js';
import type { Task } from '../../tasks/domain/task.model.js';
import type { OutboxSource } from './audit-outbox-rows.js';
import { taskUpdateSet, queriedColumns } from './task-rows.js';

/** What one change writes besides its reads: the task (compare-and-swap), its audit entries and events. */
export interface ChangeWrite {
  /** The task's new state, written only if its row is still at `revision`. */
  readonly task?: { readonly next: Task; readonly revision: string };
  readonly audit: readonly AuditEntryInput[];
  readonly events: readonly EventDraft[];
}

/**
 * Writes a change in ONE statement (data-modifying CTEs): the task's compare-and-swap update, its
 * audit outbox rows and its event drafts, the latter two only if the update matched. One round
 * trip instead of three per claim or transition, inside the caller's transaction (or, given
 * the pool, as a transaction of its own). False when another change moved the row since it was
 * read (then nothing was written).
 */
export async function writeChange(
  client: Pick<pg.ClientBase, 'query'> | Pick<pg.Pool, 'query'>,
  source: OutboxSource,
  change: ChangeWrite,
): Promise<boolean> {
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  const ctes: string[] = [];
  let guard = '';
  if (change.task) {
    const { next, revision } = change.task;
    const id = param(next.id);
    const columns = queriedColumns(next).map(param);
    ctes.push(
      `u AS (UPDATE tasks SET ${taskUpdateSet(columns)}, revision = revision + 1
             WHERE id = ${id} AND revision = ${param(revision)} RETURNING 1)`,
    );
    guard = 'WHERE EXISTS (SELECT 1 FROM u)';
  }
  if (change.audit.length > 0) {
    const entries = change.audit;
    ctes.push(
      `a AS (INSERT INTO audit_outbox (change_id, stored_at, instance_id, entry)
             SELECT change_id, ${param(new Date(source.now()).toISOString())}::timestamptz, ${param(source.instanceId)}, entry::json
               FROM unnest(${param(entries.map(() => source.changeId()))}::text[], ${param(entries.map((e) => JSON.stringify(e)))}::text[])
                    WITH ORDINALITY AS e(change_id, entry, n)
             ${guard} ORDER BY n)`,
    );
  }
  if (change.events.length > 0) {
    const drafts = change.events;
    ctes.push(
      `e AS (INSERT INTO event_outbox (type, task_id, actor, at, data)
             SELECT type, task_id, actor, at, data
               FROM unnest(${param(drafts.map((d) => d.type))}::text[], ${param(drafts.map((d) => d.task_id ?? null))}::text[],
                           ${param(drafts.map((d) => d.actor ?? null))}::text[], ${param(drafts.map((d) => d.at))}::timestamptz[],
                           ${param(drafts.map((d) => jsonbText(d.data)))}::jsonb[])
                    WITH ORDINALITY AS d(type, task_id, actor, at, data, n)
             ${guard} ORDER BY n)`,
    );
  }
  if (ctes.length === 0) return true;
  const result = await client.query<{ ok: boolean }>(
    `WITH ${ctes.join(',\n')}
     SELECT ${change.task ? 'EXISTS (SELECT 1 FROM u)' : 'true'} AS ok`,
    values,
  );
  return result.rows[0]!.ok;
}
