import { type AuditEntry } from './audit-entry.js';
import { checkEntry } from './hash-chain.js';

/** Why a line is not a trustworthy entry. */
export type LineProblem = 'unparseable' | 'not_an_entry' | 'hash_mismatch' | 'non_canonical';

export type ParsedLine =
  | { readonly ok: true; readonly entry: AuditEntry }
  | {
      readonly ok: false;
      readonly problem: LineProblem;
      readonly message: string;
      /** The seq the line claims, when it has one (it may be the edited part). */
      readonly claimedSeq: number | null;
    };

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Reads one line (without its newline) and checks it on its own: JSON, the entry shape,
 * its own hash, and that it is written exactly as the writer writes it. Chain links
 * (`prev_hash`, seq order) are the verifier's business.
 */
export function parseAuditLine(text: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('unparseable', 'the line is not JSON (cut short or damaged)', null);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('not_an_entry', 'the line is not a JSON object', null);
  }
  const record = value as Record<string, unknown>;
  const claimedSeq = Number.isSafeInteger(record['seq']) ? (record['seq'] as number) : null;
  const shapeError = checkShape(record);
  if (shapeError) return bad('not_an_entry', shapeError, claimedSeq);
  const { hashOk, formOk } = checkEntry(record, text);
  if (!hashOk) {
    return bad(
      'hash_mismatch',
      'the entry does not match its hash (edited after it was written)',
      claimedSeq,
    );
  }
  if (!formOk) {
    return bad(
      'non_canonical',
      'the line is not written in canonical form (edited after it was written)',
      claimedSeq,
    );
  }
  return { ok: true, entry: record as unknown as AuditEntry };
}

function bad(problem: LineProblem, message: string, claimedSeq: number | null): ParsedLine {
  return { ok: false, problem, message, claimedSeq };
}

const isString = (v: unknown) => typeof v === 'string';
const isNullableString = (v: unknown) => v === null || typeof v === 'string';

function checkShape(r: Record<string, unknown>): string | null {
  const seq = r['seq'];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1)
    return 'seq is not a positive integer';
  if (!isString(r['ts']) || Number.isNaN(Date.parse(r['ts'] as string))) return 'ts is not a timestamp';
  for (const key of ['actor', 'action', 'decision'] as const) {
    if (!isString(r[key])) return `${key} is not a string`;
  }
  for (const key of ['role', 'task_id', 'phase', 'tool', 'reason', 'request_id'] as const) {
    if (!isNullableString(r[key])) return `${key} is not a string or null`;
  }
  if (typeof r['success'] !== 'boolean') return 'success is not a boolean';
  for (const key of ['args', 'blockers', 'details'] as const) {
    if (!(key in r)) return `${key} is missing`;
  }
  const duration = r['duration_ms'];
  if (duration !== null && (typeof duration !== 'number' || duration < 0))
    return 'duration_ms is not a number';
  for (const key of ['prev_hash', 'hash'] as const) {
    if (!isString(r[key]) || !HEX64.test(r[key] as string)) return `${key} is not a SHA-256 hex digest`;
  }
  return null;
}
