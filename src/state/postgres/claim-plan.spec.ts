import type pg from 'pg';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import { lockNextEligible, type ClaimCandidateQuery } from './claim-query.js';
import { TASK_ROW } from './task-rows.js';

/** Enough queued rows that sorting them all shows (a wrong plan took 42–70 ms here, the index walk 0.1 ms). */
const ROWS = 30_000;
const QUERY: ClaimCandidateQuery = {
  capabilities: ['gpu'],
  now: Date.UTC(2026, 0, 1),
  loadedWorkflows: [{ name: 'agent_workflow', version: '1.0' }],
};

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * The claim's plan must not depend on table statistics: autovacuum may be off, and a table
 * loaded after the migration keeps the statistics of an empty one. Whatever they say, the claim
 * walks the partial index tasks_ready in claim order and stops at the first row, never sorts.
 */
describe('the claim plan', () => {
  let db: TestDatabase & { pool: pg.Pool };
  beforeEach(async () => {
    db = await createMigratedTestDatabase();
  });
  afterEach(() => db.drop());

  /** Queued rows of the default workflow, with docs as wide as real tasks (~800 bytes). */
  async function load(client: pg.PoolClient, from: number, count: number): Promise<void> {
    await client.query(
      `INSERT INTO tasks (id, workflow_name, workflow_version, phase, status, capabilities, max_attempts, created_at, doc)
       SELECT 't' || lpad(g::text, 8, '0'), 'agent_workflow', '1.0', 'PLAN', 'queued', '{}', 3,
              timestamptz '2025-12-01' + g * interval '1 ms', json_build_object('id', g, 'pad', repeat('x', 800))
       FROM generate_series($1::int, $2::int) g`,
      [from, from + count - 1],
    );
  }

  /** EXPLAINs, in a rolled-back transaction, each statement lockNextEligible sends. */
  async function planOfClaim(client: pg.PoolClient): Promise<PlanNode[]> {
    const sent: { text: string; values?: unknown[] }[] = [];
    const recorder = {
      query: (text: string, values?: unknown[]) => {
        sent.push({ text, values });
        return client.query(text, values);
      },
    } as unknown as pg.PoolClient;
    // lockNextEligible opens the transaction itself (BEGIN is in its text).
    await lockNextEligible(recorder, QUERY);
    await client.query('ROLLBACK');
    const claimSelect = `SELECT ${TASK_ROW} FROM tasks`;
    const statement = sent.find((s) => s.text.includes(claimSelect));
    if (statement === undefined) throw new Error(`no claim SELECT among ${JSON.stringify(sent)}`);
    try {
      const answer: unknown = await client.query(
        statement.text.replace(claimSelect, `EXPLAIN (FORMAT JSON) ${claimSelect}`),
        statement.values,
      );
      // A text of several statements answers one result per statement; EXPLAIN's is the last.
      const results = (Array.isArray(answer) ? answer : [answer]) as pg.QueryResult<{
        'QUERY PLAN': [{ Plan: PlanNode }];
      }>[];
      return nodes(results.at(-1)!.rows[0]['QUERY PLAN'][0].Plan);
    } finally {
      await client.query('ROLLBACK');
    }
  }

  function expectIndexWalk(plan: PlanNode[]): void {
    expect(plan.filter((n) => /Sort/.test(n['Node Type'])).map((n) => n['Node Type'])).toEqual([]);
    expect(plan.map((n) => n['Index Name']).filter(Boolean)).toContain('tasks_ready');
  }

  it.each([
    ['rows loaded without ANALYZE', [], []],
    ['statistics of the empty table (stale)', ['VACUUM ANALYZE tasks'], []],
    ['an analyzed table', [], ['ANALYZE tasks']],
  ])('walks tasks_ready on %s', async (_, before: string[], after: string[]) => {
    const client = await db.pool.connect();
    try {
      for (const sql of before) await client.query(sql);
      await load(client, 1, ROWS);
      for (const sql of after) await client.query(sql);
      expectIndexWalk(await planOfClaim(client));
    } finally {
      client.release();
    }
  });
});
