import { createHash } from 'node:crypto';
import { AUDIT_FIELDS, type AuditEntry, type UnsealedEntry } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface ChainLink {
  readonly seq: number;
  readonly ts: string;
  readonly prevHash: string;
}

const KNOWN = new Set<string>(AUDIT_FIELDS);
/** Written order without `hash`, and the same names sorted (the canonical order). */
const WRITTEN = AUDIT_FIELDS.filter((key) => key !== 'hash');
const SORTED = [...WRITTEN].sort();
const QUOTED = new Map<string, string>(AUDIT_FIELDS.map((key) => [key, JSON.stringify(key)]));

interface Encoded {
  /** Canonical JSON of every field but `hash`: what the hash covers. */
  readonly canonical: string;
  /** The written line up to (not including) `,"hash":…}`. */
  readonly head: string;
}

/**
 * Encodes each value once for both forms. The written form: known fields in `AUDIT_FIELDS`
 * order, any others sorted before `hash`, every value canonical. The hashed form: all fields
 * but `hash`, keys sorted (RFC 8785).
 */
function encode(record: Readonly<Record<string, unknown>>): Encoded {
  let extra: string[] | null = null;
  for (const key of Object.keys(record)) if (!KNOWN.has(key)) (extra ??= []).push(key);
  const json: Record<string, string> = Object.create(null) as Record<string, string>;
  const join = (keys: readonly string[]) => {
    let out = '';
    for (const key of keys) {
      const value = record[key];
      if (value === undefined) continue;
      const encoded = (json[key] ??= canonicalJson(value));
      out += `${out === '' ? '' : ','}${QUOTED.get(key) ?? JSON.stringify(key)}:${encoded}`;
    }
    return out;
  };
  const written = extra === null ? WRITTEN : [...WRITTEN, ...extra.sort()];
  const sorted = extra === null ? SORTED : [...SORTED, ...extra].sort();
  return { head: `{${join(written)}`, canonical: `{${join(sorted)}}` };
}

/** SHA-256 (hex) of the canonical JSON of `entry` without its `hash` field. */
export function entryHash(entry: Readonly<Record<string, unknown>>): string {
  return sha256Hex(encode(entry).canonical);
}

/** The one written form of an entry (without the newline); verification requires exactly it. */
export function serializeEntry(entry: Readonly<Record<string, unknown>>): string {
  const { head } = encode(entry);
  return entry['hash'] === undefined ? `${head}}` : `${head},"hash":${canonicalJson(entry['hash'])}}`;
}

/** Checks a parsed line in one pass: does it match its hash, and is it written canonically? */
export function checkEntry(
  entry: Readonly<Record<string, unknown>>,
  text: string,
): { hashOk: boolean; formOk: boolean } {
  const { head, canonical } = encode(entry);
  return {
    hashOk: sha256Hex(canonical) === entry['hash'],
    formOk: text === `${head},"hash":${canonicalJson(entry['hash'])}}`,
  };
}

/** Joins an entry to the chain (adds `seq`, `ts`, `prev_hash`, `hash`) and gives its written line. */
export function sealEntryLine(fields: UnsealedEntry, link: ChainLink): { entry: AuditEntry; line: string } {
  const unsealed = { ...fields, seq: link.seq, ts: link.ts, prev_hash: link.prevHash };
  const { head, canonical } = encode(unsealed);
  const hash = sha256Hex(canonical);
  return { entry: { ...unsealed, hash }, line: `${head},"hash":"${hash}"}` };
}

export function sealEntry(fields: UnsealedEntry, link: ChainLink): AuditEntry {
  return sealEntryLine(fields, link).entry;
}
