import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

/** A scrape waits this long for the outboxes' ages, then keeps the last values. */
const SAMPLE_TIMEOUT_MS = 1000;

interface LagRow {
  audit_at: Date | null;
  audit_rows: string;
  events_at: Date | null;
  events_rows: string;
}

/**
 * How far the database's sequencers are behind (`state.backend: postgres`): the age of the oldest
 * audit entry not yet sealed into the chain and of the oldest event not yet numbered, and how many
 * wait. Both are 0 when they keep up; a growing age means committed changes are not yet in the
 * audit log or the event stream. Sampled at scrape time; a slow or lost database keeps the last values.
 */
export function registerSequencerLagMetrics(
  registry: Registry,
  pool: pg.Pool,
  now: () => number = Date.now,
): void {
  let last: { audit: [number, number]; events: [number, number] } = { audit: [0, 0], events: [0, 0] };
  const sample = async () => {
    const query = pool.query<LagRow>(
      `SELECT (SELECT min(stored_at) FROM audit_outbox) AS audit_at, (SELECT count(*) FROM audit_outbox) AS audit_rows,
              (SELECT min(at) FROM event_outbox) AS events_at, (SELECT count(*) FROM event_outbox) AS events_rows`,
    );
    query.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), SAMPLE_TIMEOUT_MS);
    });
    try {
      const result = await Promise.race([query, timeout]);
      const row = result?.rows[0];
      if (row) {
        const age = (at: Date | null) => (at ? Math.max(0, (now() - at.getTime()) / 1000) : 0);
        last = {
          audit: [age(row.audit_at), Number(row.audit_rows)],
          events: [age(row.events_at), Number(row.events_rows)],
        };
      }
    } catch {
      // The database is away: the last values stay, /health/ready says why.
    } finally {
      clearTimeout(timer);
    }
    return last;
  };
  let pending: Promise<typeof last> | null = null;
  // Both gauges are collected in one scrape: one query serves them.
  const once = () => {
    pending ??= sample().finally(() => setImmediate(() => (pending = null)));
    return pending;
  };
  new Gauge({
    name: 'orchestrator_db_sequencer_lag_seconds',
    help: 'Age of the oldest committed change not yet sealed into the audit chain (log=audit) or numbered as an event (log=events)',
    labelNames: ['log'],
    registers: [registry],
    async collect() {
      const { audit, events } = await once();
      this.set({ log: 'audit' }, audit[0]);
      this.set({ log: 'events' }, events[0]);
    },
  });
  new Gauge({
    name: 'orchestrator_db_sequencer_backlog',
    help: 'Committed audit entries (log=audit) and events (log=events) waiting for their sequencer',
    labelNames: ['log'],
    registers: [registry],
    async collect() {
      const { audit, events } = await once();
      this.set({ log: 'audit' }, audit[1]);
      this.set({ log: 'events' }, events[1]);
    },
  });
}
