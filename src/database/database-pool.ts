import pg from 'pg';
import { UnavailableError } from '../common/domain/domain-error.js';
import { redactUrlCredentials } from '../common/domain/url-credentials.js';
import { type DatabaseTarget } from './database-target.js';

export interface DatabasePoolOptions {
  readonly applicationName: string;
  /** Connections per process (database.pool_size + database.max_overflow). */
  readonly size: number;
}

/**
 * The pool every postgres adapter shares. Each connection starts with `search_path` set to
 * `database.schema`, so the adapters' SQL names tables unqualified.
 */
export function openDatabasePool(target: DatabaseTarget, options: DatabasePoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.url,
    application_name: options.applicationName,
    max: options.size,
    connectionTimeoutMillis: target.connectTimeoutMs,
    statement_timeout: target.statementTimeoutMs,
    options: `-c search_path=${pg.escapeIdentifier(target.schema)}`,
  });
  // An idle client that loses its connection emits here; without a listener the process dies.
  pool.on('error', () => undefined);
  return pool;
}

/** Told how long each statement or transaction on a pool took, for the query latency metric. */
export type QueryObserver = (seconds: number, kind: 'query' | 'transaction', ok: boolean) => void;
const observers = new WeakMap<pg.Pool, QueryObserver>();

/** Reports every `queryPool` statement and `withTransaction` transaction on `pool` to `observer`. */
export function observeQueries(pool: pg.Pool, observer: QueryObserver): void {
  observers.set(pool, observer);
}

function timed<T>(pool: pg.Pool, kind: 'query' | 'transaction', work: () => Promise<T>): Promise<T> {
  const observer = observers.get(pool);
  if (!observer) return work();
  const started = performance.now();
  return work().then(
    (result) => {
      observer((performance.now() - started) / 1000, kind, true);
      return result;
    },
    (error: unknown) => {
      observer((performance.now() - started) / 1000, kind, false);
      throw error;
    },
  );
}

/**
 * Runs `work` in one transaction on one pooled client: COMMIT when it resolves, ROLLBACK when
 * it throws. A lost connection becomes 503 `state_unavailable` (nothing was acknowledged).
 */
export function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  /** `inline`: the first statement `work` sends starts with `BEGIN;` itself (one round trip less). */
  { begin = 'separate' }: { begin?: 'separate' | 'inline' } = {},
): Promise<T> {
  // Timed from the wait for a connection to the COMMIT (orchestrator_db_query_seconds{kind="transaction"}).
  return timed(pool, 'transaction', () => transaction(pool, work, begin));
}

async function transaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  begin: 'separate' | 'inline',
): Promise<T> {
  const client = await connectPooled(pool);
  let broken = false;
  // The pool only listens while a client is idle; a connection lost between our statements
  // would otherwise be an unhandled 'error' event and end the process.
  const onLost = () => (broken = true);
  client.on('error', onLost);
  try {
    if (begin === 'separate') await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = isConnectionError(error);
    if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
    throw asUnavailable(error);
  } finally {
    client.removeListener('error', onLost);
    client.release(broken);
  }
}

/** One statement on any pooled connection; a lost connection becomes `state_unavailable`. */
export function queryPool<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values?: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  return timed(pool, 'query', async () => {
    try {
      return await pool.query<R>(text, values as unknown[]);
    } catch (error) {
      throw asUnavailable(error);
    }
  });
}

async function connectPooled(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw asUnavailable(error);
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
]);

/** True for errors that mean "the database is gone", not "this statement was wrong". */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && CONNECTION_CODES.has(e.code)) return true;
  // SQLSTATE class 08: connection exception.
  if (e.code && /^08/.test(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}

/** Connection failures become 503 `state_unavailable`; anything else passes through unchanged. */
export function asUnavailable(error: unknown): unknown {
  if (!isConnectionError(error)) return error;
  return new UnavailableError(
    'state_unavailable',
    `The state database is unavailable (${redactUrlCredentials((error as Error).message)}); nothing was changed. Retry later.`,
  );
}
