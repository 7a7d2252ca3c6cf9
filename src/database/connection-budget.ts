import pg from 'pg';
import { type AppConfig } from '../config/app-config.js';
import { LIVE_WITHIN_MS } from '../instances/instance-registry.js';
import { connectDatabase } from './database-connection.js';
import { databaseTarget } from './database-target.js';

export interface ConnectionBudget {
  /** PostgreSQL's `max_connections` less `superuser_reserved_connections`. */
  readonly available: number;
  readonly maxConnections: number;
  readonly reserved: number;
  /** Server processes already on this database (live in `instances`). */
  readonly otherProcesses: number;
  /** Processes this start adds (`server.workers`). */
  readonly processes: number;
  /** Most connections one process opens: its pool (`pool_size + max_overflow`) and one LISTEN. */
  readonly perProcess: number;
  /** What all of them may open at once. */
  readonly needed: number;
}

/**
 * Reads what the database allows and who is on it already, for the start-up check of
 * `server.workers` × pool against `max_connections`. An unreachable database is the start-up's
 * error (exit 2, naming `database.url`), reported before any worker is forked.
 */
export async function readConnectionBudget(config: AppConfig, processes: number): Promise<ConnectionBudget> {
  const target = databaseTarget(config);
  const client = await connectDatabase(target, { applicationName: 'orchestrator start-up check' });
  try {
    const { rows } = await client.query<{ max: number; reserved: number }>(
      `SELECT current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int AS reserved`,
    );
    const otherProcesses = await countLive(client, target.schema);
    const { pool_size, max_overflow } = config.values.database;
    const perProcess = pool_size + max_overflow + 1;
    const { max, reserved } = rows[0]!;
    return {
      available: max - reserved,
      maxConnections: max,
      reserved,
      otherProcesses,
      processes,
      perProcess,
      needed: (otherProcesses + processes) * perProcess,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Live instances on the schema; 0 before the first migration made the table. */
async function countLive(client: pg.Client, schema: string): Promise<number> {
  const table = `${pg.escapeIdentifier(schema)}.instances`;
  const { rows } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [
    table,
  ]);
  if (!rows[0]?.present) return 0;
  const live = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE seen_at >= now() - make_interval(secs => $1::float8 / 1000)`,
    [LIVE_WITHIN_MS],
  );
  return live.rows[0]!.n;
}

/** The warning to log when the processes could open more connections than the database allows. */
export function connectionBudgetWarning(budget: ConnectionBudget): string | null {
  if (budget.needed <= budget.available) return null;
  return (
    `connection budget exceeded: ${budget.otherProcesses + budget.processes} server process(es) ` +
    `(${budget.otherProcesses} already live on the database + server.workers=${budget.processes}) × ` +
    `${budget.perProcess} connections each (database.pool_size + database.max_overflow + 1 LISTEN) = ` +
    `${budget.needed}, but PostgreSQL allows ${budget.available} ` +
    `(max_connections ${budget.maxConnections} − ${budget.reserved} reserved for superusers): ` +
    `requests will fail with "too many clients" under load. Lower database.pool_size/max_overflow or ` +
    `server.workers, raise max_connections, or put PgBouncer (transaction mode) in front and point ` +
    `database.listen_url straight at PostgreSQL (docs/DEPLOYMENT.md, "Scaling out")`
  );
}
