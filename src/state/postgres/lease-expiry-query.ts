import type pg from 'pg';
import { isoTime } from '../../tasks/domain/task.model.js';
import { TASK_ROW, type TaskRow } from './task-rows.js';

/** Rows one expiry transaction takes: bounds its locks and its size. */
export const LEASE_EXPIRY_BATCH = 200;

/**
 * Locks up to a batch of claimed tasks whose lease ran out by `now`, oldest expiry first. Rows
 * locked elsewhere (a heartbeat or transition in flight, another sweeper) are skipped: that
 * writer commits first and the next sweep sees the row as it left it.
 */
export async function lockExpiredLeases(client: pg.PoolClient, now: number): Promise<TaskRow[]> {
  const result = await client.query<TaskRow>(
    `SELECT ${TASK_ROW} FROM tasks
     WHERE status = 'claimed' AND lease_expires_at <= $1::timestamptz
     ORDER BY lease_expires_at, id
     LIMIT ${LEASE_EXPIRY_BATCH}
     FOR UPDATE SKIP LOCKED`,
    [isoTime(now)],
  );
  return result.rows;
}
