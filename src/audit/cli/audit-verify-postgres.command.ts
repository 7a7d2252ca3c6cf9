import type pg from 'pg';
import { redactUrlCredentials } from '../../common/domain/url-credentials.js';
import { DatabaseUnavailableError } from '../../database/database-errors.js';
import { type DatabaseTarget } from '../../database/database-target.js';
import { type AuditAnchorStore } from '../anchor/audit-anchor.store.js';
import { FileAuditAnchorStore } from '../anchor/file-audit-anchor.store.js';
import { type TrustedKeys } from '../domain/checkpoint.js';
import { processIo, type AuditCliIo } from './audit-cli-io.js';
import { printVerifyReport } from './audit-verify.command.js';

export interface PostgresVerifyOptions {
  readonly target: DatabaseTarget;
  readonly keys?: TrustedKeys;
  /** An exported anchor file (`audit anchor --out`); null: the newest row of `audit_anchors`. */
  readonly anchorFile: string | null;
  readonly json?: boolean;
  readonly io?: AuditCliIo;
}

/**
 * `audit verify` on `state.backend: postgres`: walks `audit_entries` from seq 1 with the trusted
 * keys and the anchor (the table's, or an exported copy, which whoever rewrote the database
 * could not change). Returns the exit code: 0 valid, 1 broken.
 */
export async function runPostgresAuditVerify(options: PostgresVerifyOptions): Promise<number> {
  const io = options.io ?? processIo;
  const { target } = options;
  return withAuditPool(target, async (pool) => {
    const { verifyAuditTable } = await import('../postgres/audit-table-verify.js');
    const anchors = await anchorStore(pool, options.anchorFile);
    const report = await verifyAuditTable(pool, {
      ...(options.keys ? { keys: options.keys } : {}),
      anchor: { value: await anchors.read(), location: anchors.location },
    });
    if (options.json) io.out(JSON.stringify(report, null, 2));
    else printVerifyReport(report, ` in ${redactUrlCredentials(target.url)} schema ${target.schema}`, io);
    return report.valid ? 0 : 1;
  });
}

export async function anchorStore(pool: pg.Pool, file: string | null): Promise<AuditAnchorStore> {
  if (file) return new FileAuditAnchorStore(file);
  const { PostgresAuditAnchorStore } = await import('../postgres/postgres-audit-anchor.store.js');
  return new PostgresAuditAnchorStore(pool);
}

/** A small pool for one command; an unreachable database exits 2 naming `database.url`. */
export async function withAuditPool<T>(
  target: DatabaseTarget,
  work: (pool: pg.Pool) => Promise<T>,
): Promise<T> {
  // Loaded on demand: the other commands never load `pg`.
  const { openDatabasePool } = await import('../../database/database-pool.js');
  // As `orchestrator db`: a CLI session, which `state restore` does not take for a running server.
  const pool = openDatabasePool(target, { applicationName: 'orchestrator db', size: 2 });
  try {
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      throw new DatabaseUnavailableError(target.url, target.source, error);
    }
    return await work(pool);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
