import { createHash } from 'node:crypto';
import { AUDIT_FIELDS, type AuditEntry, type UnsealedEntry } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 (hex) of the canonical JSON of `entry` without its `hash` field. */
export function entryHash(entry: Readonly<Record<string, unknown>>): string {
  const { hash: _hash, ...rest } = entry;
  return sha256Hex(canonicalJson(rest));
}

export interface ChainLink {
  readonly seq: number;
  readonly ts: string;
  readonly prevHash: string;
}

/** Joins an entry to the chain: adds `seq`, `ts`, `prev_hash` and its `hash`. */
export function sealEntry(fields: UnsealedEntry, link: ChainLink): AuditEntry {
  const unsealed = { ...fields, seq: link.seq, ts: link.ts, prev_hash: link.prevHash };
  return { ...unsealed, hash: entryHash(unsealed) };
}

const KNOWN = new Set<string>(AUDIT_FIELDS);

/**
 * The one written form of an entry (without the newline): known fields in `AUDIT_FIELDS`
 * order, any others sorted before `hash`, every value in canonical JSON. Verification checks
 * each line is exactly this form, so even an edit that keeps the parsed value the same (an
 * escape written another way) is caught.
 */
export function serializeEntry(entry: Readonly<Record<string, unknown>>): string {
  const extra = Object.keys(entry)
    .filter((key) => !KNOWN.has(key))
    .sort();
  const order = [...AUDIT_FIELDS.slice(0, -1), ...extra, 'hash'];
  const members: string[] = [];
  for (const key of order) {
    if (entry[key] !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(entry[key])}`);
  }
  return `{${members.join(',')}}`;
}
