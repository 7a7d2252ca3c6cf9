import type pg from 'pg';
import { queryPool } from '../database/database-pool.js';
import { EVENT_HEAD } from '../events/pipeline/event-rows.js';
import { InstanceRegistry, type OrderedBy, type Ordering, type Peer } from './instance-registry.js';

/** Rows of instances gone this long are deleted by the next heartbeat (the table is UNLOGGED). */
const FORGET_AFTER = '1 hour';

interface PeerRow {
  id: string;
  host: string | null;
  pid: number | null;
  version: string | null;
  started_at: Date;
  seen_at: Date;
}

/**
 * Instances on one database (`state.backend: postgres`): each upserts its row in `instances`
 * on every heartbeat. Times are the database's, so hosts whose clocks differ agree on who is live.
 */
export class PostgresInstanceRegistry extends InstanceRegistry {
  constructor(private readonly pool: pg.Pool) {
    super();
  }

  async heartbeat(self: Omit<Peer, 'seen_at'>): Promise<void> {
    await queryPool(
      this.pool,
      `WITH forgotten AS (DELETE FROM instances WHERE seen_at < now() - interval '${FORGET_AFTER}')
       INSERT INTO instances (id, host, pid, version, started_at, seen_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
      [self.id, self.host, self.pid, self.version, self.started_at],
    );
  }

  async live(withinMs: number): Promise<Peer[]> {
    const { rows } = await queryPool<PeerRow>(
      this.pool,
      `SELECT id, host, pid, version, started_at, seen_at FROM instances
        WHERE seen_at >= now() - make_interval(secs => $1::float8 / 1000)
        ORDER BY started_at, id`,
      [withinMs],
    );
    return rows.map((row) => ({
      id: row.id,
      host: row.host ?? '',
      pid: row.pid ?? 0,
      version: row.version ?? '',
      started_at: row.started_at.toISOString(),
      seen_at: row.seen_at.toISOString(),
    }));
  }

  async leave(id: string): Promise<void> {
    await queryPool(this.pool, 'DELETE FROM instances WHERE id = $1', [id]);
  }

  async ordering(): Promise<Ordering> {
    const { rows } = await queryPool<{ log: string; by: string | null; at: Date | null }>(
      this.pool,
      `(SELECT 'events' AS log, numbered_by AS by, numbered_at AS at FROM event_id_blocks WHERE name = $1)
       UNION ALL
       (SELECT 'audit', instance_id, ts FROM audit_entries ORDER BY seq DESC LIMIT 1)`,
      [EVENT_HEAD],
    );
    const of = (log: string): OrderedBy | null => {
      const row = rows.find((r) => r.log === log);
      return row?.at ? { instance_id: row.by, at: row.at.toISOString() } : null;
    };
    return { events: of('events'), audit: of('audit') };
  }
}
