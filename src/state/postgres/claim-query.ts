import type pg from 'pg';
import { isoTime, type WorkflowRef } from '../../tasks/domain/task.model.js';
import { TASK_ROW, type TaskRow } from './task-rows.js';

export interface ClaimCandidateQuery {
  readonly capabilities: readonly string[];
  readonly now: number;
  /** Undefined: any workflow. */
  readonly loadedWorkflows?: readonly WorkflowRef[];
}

/**
 * Locks the first eligible task in claim order (priority desc, created_at, id — the memory
 * adapter's order), skipping rows another claimer holds, so concurrent claims never wait on or
 * get the same task. The caller applies the domain's `claim` and writes the row in the same
 * transaction. Eligibility: queued, dependencies completed (deps_pending), required capabilities
 * ⊆ the agent's, backoff over, attempts left, pinned workflow version loaded.
 */
export async function lockNextEligible(
  client: pg.PoolClient,
  { capabilities, now, loadedWorkflows }: ClaimCandidateQuery,
): Promise<TaskRow | null> {
  const values: unknown[] = [capabilities, isoTime(now)];
  let workflowFilter = '';
  if (loadedWorkflows !== undefined) {
    values.push(
      loadedWorkflows.map((w) => w.name),
      loadedWorkflows.map((w) => w.version),
    );
    workflowFilter =
      'AND (workflow_name, workflow_version) IN (SELECT * FROM unnest($3::text[], $4::text[]))';
  }
  const result = await client.query<TaskRow>(
    `SELECT ${TASK_ROW} FROM tasks
     WHERE status = 'queued' AND deps_pending = 0 AND capabilities <@ $1::text[]
       AND (retry_not_before IS NULL OR retry_not_before <= $2::timestamptz)
       AND attempts < max_attempts ${workflowFilter}
     ORDER BY priority DESC, created_at, id
     LIMIT 1
     FOR UPDATE SKIP LOCKED`,
    values,
  );
  return result.rows[0] ?? null;
}
