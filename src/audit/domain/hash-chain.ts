import { hash } from 'node:crypto';
import { AUDIT_FIELDS, type AuditEntry, type UnsealedEntry } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';

export function sha256Hex(data: string | Uint8Array): string {
  // One call, no Hash object (node:crypto's one-shot `hash`, Node 20.12+).
  return hash('sha256', data, 'hex');
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
/** For each canonical position, the written position of the same field. */
const SORTED_AT = SORTED.map((key) => WRITTEN.indexOf(key));
const QUOTED = new Map<string, string>(AUDIT_FIELDS.map((key) => [key, JSON.stringify(key)]));
const WRITTEN_QUOTED = WRITTEN.map((key) => JSON.stringify(key));

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
  return extra === null ? encodeKnown(record) : encodeWithExtra(record, extra);
}

/** The usual entry, only the known fields: positions are fixed, so no key is looked up twice. */
function encodeKnown(record: Readonly<Record<string, unknown>>): Encoded {
  const values: (string | undefined)[] = new Array<string | undefined>(WRITTEN.length);
  let head = '{';
  for (let i = 0; i < WRITTEN.length; i++) {
    const value = record[WRITTEN[i]!];
    if (value === undefined) continue;
    const encoded = canonicalJson(value);
    values[i] = encoded;
    head += `${head === '{' ? '' : ','}${WRITTEN_QUOTED[i]}:${encoded}`;
  }
  let canonical = '{';
  for (const i of SORTED_AT) {
    const encoded = values[i];
    if (encoded !== undefined) canonical += `${canonical === '{' ? '' : ','}${WRITTEN_QUOTED[i]}:${encoded}`;
  }
  return { head, canonical: `${canonical}}` };
}

function encodeWithExtra(record: Readonly<Record<string, unknown>>, extra: string[]): Encoded {
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
  return {
    head: `{${join([...WRITTEN, ...extra.sort()])}`,
    canonical: `{${join([...SORTED, ...extra].sort())}}`,
  };
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
  const entry = withLink(fields, link);
  // `hash` is left out of both encodings, and filled in once they are hashed.
  const { head, canonical } = encode(entry);
  entry.hash = sha256Hex(canonical);
  return { entry, line: `${head},"hash":"${entry.hash}"}` };
}

const UNSEALED_FIELDS = WRITTEN.length - 3;

/**
 * The entry object, fields in written order. Built field by field: on Node 20's V8 a spread
 * followed by properties its source lacks (`{ ...fields, seq, … }`) takes a slow path costing
 * microseconds, a third of sealing an entry. Fields the type does not know (none today) are
 * kept by a spread.
 */
function withLink(f: UnsealedEntry, link: ChainLink): { -readonly [K in keyof AuditEntry]: AuditEntry[K] } {
  if (Object.keys(f).length !== UNSEALED_FIELDS) {
    return { ...f, seq: link.seq, ts: link.ts, prev_hash: link.prevHash, hash: '' };
  }
  return {
    seq: link.seq,
    ts: link.ts,
    actor: f.actor,
    role: f.role,
    action: f.action,
    decision: f.decision,
    success: f.success,
    task_id: f.task_id,
    phase: f.phase,
    tool: f.tool,
    args: f.args,
    reason: f.reason,
    blockers: f.blockers,
    details: f.details,
    duration_ms: f.duration_ms,
    request_id: f.request_id,
    prev_hash: link.prevHash,
    hash: '',
  };
}

export function sealEntry(fields: UnsealedEntry, link: ChainLink): AuditEntry {
  return sealEntryLine(fields, link).entry;
}
