import type pg from 'pg';
import { queryPool } from '../../database/database-pool.js';
import {
  type EventDraft,
  type EventType,
  numberedEvent,
  type OrchestratorEvent,
} from '../domain/event.model.js';

/**
 * Event data as jsonb text. jsonb cannot hold U+0000: one in a draft would fail the whole batch
 * it is numbered with, again at every retry, so it becomes U+FFFD (requests carrying one are
 * refused at the door; this guards what the server itself puts in an event, e.g. an error text).
 */
export function jsonbText(data: Record<string, unknown>): string {
  return JSON.stringify(data, (_key, value: unknown) =>
    typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value,
  );
}

/** The head row of `event_id_blocks`: the last id handed out, locked by whoever numbers events. */
export const EVENT_HEAD = 'events';

/** Drafts taken from event_outbox per transaction. */
export const EVENT_BATCH = 2000;

/** Events read per catch-up query (another instance's batches, missed while away). */
export const CATCH_UP_BATCH = 1000;

/**
 * The NOTIFY channel that tells every instance on this schema the head moved (payload: the
 * new head id, never event data: pg_notify carries at most 8000 bytes). Schemas share a
 * database's channels, so the schema is part of the name.
 */
export function eventChannel(schema: string): string {
  return `orchestrator_events:${schema}`;
}

interface StoredRow {
  id: string;
  type: string;
  task_id: string | null;
  actor: string | null;
  at: Date;
  data: Record<string, unknown>;
}

export interface NumberedBatch {
  readonly events: OrchestratorEvent[];
  /** More drafts were waiting in event_outbox than one batch takes. */
  readonly more: boolean;
}

/**
 * Numbers the oldest stored drafts (committed changes' events, in outbox order) and then
 * `local` (events of no change, published after them) in a transaction of its own opening (the
 * caller's is `begin: 'inline'`): ids follow the head gap-free, the events are inserted and the
 * head moved. The head's row lock makes every other numberer, in any process, wait for this
 * commit, so ids become visible in order. Three round trips with the COMMIT: BEGIN, the lock and
 * the take in one text; the insert and the head's move in one statement.
 */
export async function numberEvents(
  client: pg.PoolClient,
  local: readonly EventDraft[],
  by: { channel?: string | null; instanceId?: string | null } = {},
): Promise<NumberedBatch> {
  const answer: unknown = await client.query(
    `BEGIN;
     SELECT issued_through FROM event_id_blocks WHERE name = '${EVENT_HEAD}' FOR UPDATE;
     DELETE FROM event_outbox WHERE id IN (SELECT id FROM event_outbox ORDER BY id LIMIT ${EVENT_BATCH})
     RETURNING id, type, task_id, actor, at, data`,
  );
  const [, head, taken] = answer as [
    pg.QueryResult,
    pg.QueryResult<{ issued_through: string }>,
    pg.QueryResult<StoredRow>,
  ];
  if (!head.rows[0]) throw new Error('event_id_blocks has no events row: the event pipeline was not opened');
  // DELETE … RETURNING has no order of its own.
  taken.rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const drafts = [...taken.rows.map(draftOf), ...local];
  const first = Number(head.rows[0].issued_through) + 1;
  const events = drafts.map((draft, i) => numberedEvent(draft, first + i));
  if (events.length > 0) {
    // One NOTIFY per batch, from a transaction that already holds the head's lock: the
    // cluster-wide notify lock it takes is never contended by request transactions.
    await client.query(
      `WITH inserted AS (
         INSERT INTO events (seq, type, task_id, actor, at, data)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])),
       moved AS (UPDATE event_id_blocks SET issued_through = $7, numbered_by = $10, numbered_at = now() WHERE name = $8)
       SELECT pg_notify($9::text, $7::text) WHERE $9::text IS NOT NULL`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.task_id ?? null),
        events.map((e) => e.actor ?? null),
        events.map((e) => e.at),
        events.map((e) => jsonbText(e.data)),
        events.at(-1)!.id,
        EVENT_HEAD,
        by.channel ?? null,
        by.instanceId ?? null,
      ],
    );
  }
  return { events, more: taken.rows.length === EVENT_BATCH };
}

/** Stores a change's event drafts in the change's transaction; the sequencer numbers them after it commits. */
export async function insertEventDrafts(client: pg.PoolClient, drafts: readonly EventDraft[]): Promise<void> {
  if (drafts.length === 0) return;
  await client.query(
    `INSERT INTO event_outbox (type, task_id, actor, at, data)
     SELECT type, task_id, actor, at, data
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
            WITH ORDINALITY AS d(type, task_id, actor, at, data, n)
      ORDER BY n`,
    [
      drafts.map((d) => d.type),
      drafts.map((d) => d.task_id ?? null),
      drafts.map((d) => d.actor ?? null),
      drafts.map((d) => d.at),
      drafts.map((d) => jsonbText(d.data)),
    ],
  );
}

function draftOf(row: StoredRow): EventDraft {
  return {
    type: row.type as EventType,
    at: row.at.toISOString(),
    ...(row.task_id !== null ? { task_id: row.task_id } : {}),
    ...(row.actor !== null ? { actor: row.actor } : {}),
    data: row.data,
  };
}

interface EventRow extends Omit<StoredRow, 'id'> {
  seq: string;
}

/** The newest `keep` events, oldest first. */
export async function loadNewestEvents(pool: pg.Pool, keep: number): Promise<OrchestratorEvent[]> {
  const { rows } = await queryPool<EventRow>(
    pool,
    'SELECT seq, type, task_id, actor, at, data FROM events ORDER BY seq DESC LIMIT $1',
    [keep],
  );
  return rows.reverse().map(eventOf);
}

/** Up to `limit` events after `after`, oldest first (ids of pruned events are simply absent). */
export async function loadEventsAfter(
  pool: pg.Pool,
  after: number,
  limit = CATCH_UP_BATCH,
): Promise<OrchestratorEvent[]> {
  const { rows } = await queryPool<EventRow>(
    pool,
    'SELECT seq, type, task_id, actor, at, data FROM events WHERE seq > $1 ORDER BY seq LIMIT $2',
    [after, limit],
  );
  return rows.map(eventOf);
}

function eventOf(row: EventRow): OrchestratorEvent {
  return numberedEvent(draftOf({ ...row, id: row.seq }), Number(row.seq));
}

/** Whether a draft stored more than `olderThanMs` ago is still waiting to be numbered. */
export async function hasStaleDrafts(pool: pg.Pool, olderThanMs: number): Promise<boolean> {
  const { rows } = await queryPool<{ stale: boolean }>(
    pool,
    'SELECT EXISTS (SELECT 1 FROM event_outbox WHERE at < now() - make_interval(secs => $1::float8 / 1000)) AS stale',
    [olderThanMs],
  );
  return rows[0]!.stale;
}
