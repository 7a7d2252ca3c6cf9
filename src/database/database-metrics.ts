import type pg from 'pg';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { observeQueries } from './database-pool.js';

/**
 * The pool (connections in use, idle, and requests waiting for one) and how long statements and
 * transactions take, for `state.backend: postgres`.
 */
export function registerDatabaseMetrics(registry: Registry, pool: pg.Pool): void {
  new Gauge({
    name: 'orchestrator_db_pool_connections',
    help: 'Connections of this process to the state database, by state (in_use, idle)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
      this.set({ state: 'idle' }, pool.idleCount);
    },
  });
  new Gauge({
    name: 'orchestrator_db_pool_waiting',
    help: 'Requests waiting for a free connection to the state database',
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  const latency = new Histogram({
    name: 'orchestrator_db_query_seconds',
    help: 'Time of one statement or one transaction on the state database',
    labelNames: ['kind', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  observeQueries(pool, (seconds, kind, ok) =>
    latency.observe({ kind, outcome: ok ? 'ok' : 'error' }, seconds),
  );
}
