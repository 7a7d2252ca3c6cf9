import pg from 'pg';
import { isoTime, type WorkflowRef } from '../../tasks/domain/task.model.js';
import { TASK_ROW, type TaskRow } from './task-rows.js';

export interface ClaimCandidateQuery {
  readonly capabilities: readonly string[];
  readonly now: number;
  /** Undefined: any workflow. */
  readonly loadedWorkflows?: readonly WorkflowRef[];
}

const literal = (value: string): string => pg.escapeLiteral(value);
const textArray = (values: readonly string[]): string => `ARRAY[${values.map(literal).join(', ')}]::text[]`;
/**
 * A NUL would end the query text inside its literal; no stored text holds one, so an agent's
 * capability containing it matches no task and is left out.
 */
const storable = (values: readonly string[]): string[] => values.filter((v) => !v.includes('\u0000'));

/**
 * Turns sorting off for the rest of the claim's transaction, so the only plan that yields claim
 * order is the walk of the partial index tasks_ready, stopping at the first eligible row. With
 * the statistics of an empty table (autovacuum off, rows loaded after the migration) the planner
 * otherwise believes the queue is one row long and sorts every queued task of the workflow
 * (tasks_workflow_open, 40–70 ms at 30,000 rows instead of 0.1 ms). The claim's other
 * statements write by primary key and sort nothing.
 */
const PLAN_SETTINGS = "SELECT set_config('enable_sort', 'off', true)";

/**
 * Locks the first eligible task in claim order (priority desc, created_at, id — the memory
 * adapter's order), skipping rows another claimer holds, so concurrent claims never wait on or
 * get the same task. The caller applies the domain's `claim` and writes the row in the same
 * transaction. Eligibility: queued, dependencies completed (deps_pending), required capabilities
 * ⊆ the agent's, backoff over, attempts left, pinned workflow version loaded.
 *
 * Sent with BEGIN and the plan settings as one text (one round trip; the caller's transaction is
 * `begin: 'inline'`), so the values are inlined as escaped literals: a text of several statements
 * cannot take parameters.
 */
export async function lockNextEligible(
  client: pg.PoolClient,
  { capabilities, now, loadedWorkflows }: ClaimCandidateQuery,
): Promise<TaskRow | null> {
  const workflowFilter =
    loadedWorkflows === undefined
      ? ''
      : `AND (workflow_name, workflow_version) IN (SELECT * FROM unnest(${textArray(
          loadedWorkflows.map((w) => w.name),
        )}, ${textArray(loadedWorkflows.map((w) => w.version))}))`;
  const answer: unknown = await client.query(
    `BEGIN; ${PLAN_SETTINGS};
     SELECT ${TASK_ROW} FROM tasks
     WHERE status = 'queued' AND deps_pending = 0 AND capabilities <@ ${textArray(storable(capabilities))}
       AND (retry_not_before IS NULL OR retry_not_before <= ${literal(isoTime(now))}::timestamptz)
       AND attempts < max_attempts ${workflowFilter}
     ORDER BY priority DESC, created_at, id
     LIMIT 1
     FOR UPDATE SKIP LOCKED`,
  );
  const [, , claimed] = answer as [pg.QueryResult, pg.QueryResult, pg.QueryResult<TaskRow>];
  return claimed.rows[0] ?? null;
}
