import type pg from 'pg';
import { asUnavailable } from '../../database/database-pool.js';
import { ChainVerifier, type AuditVerifyReport, type VerifyOptions } from '../domain/audit-verify.js';

/** Rows per read when verify walks the whole table. */
const SCAN_PAGE = 5000;

/**
 * Walks `audit_entries` from seq 1 as one segment (postgres keeps every entry), checking each
 * stored line as the file verifier checks a line: its hash, its link, and, with `keys` and
 * `anchor`, every checkpoint signature and the anchored checkpoint.
 */
export async function verifyAuditTable(pool: pg.Pool, options: VerifyOptions): Promise<AuditVerifyReport> {
  const verifier = new ChainVerifier(options);
  verifier.beginFile({ name: 'audit_entries', declaredFirstSeq: null, declaredLastSeq: null });
  let n = 0;
  let after = 0;
  for (;;) {
    let rows: { seq: string; line: string }[];
    try {
      ({ rows } = await pool.query<{ seq: string; line: string }>(
        `SELECT seq, entry::text AS line FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT ${SCAN_PAGE}`,
        [after],
      ));
    } catch (error) {
      throw asUnavailable(error);
    }
    for (const row of rows) if (!verifier.line(Buffer.from(row.line), ++n, true)) return verifier.finish();
    if (rows.length < SCAN_PAGE) return verifier.finish();
    after = Number(rows[rows.length - 1]!.seq);
  }
}
