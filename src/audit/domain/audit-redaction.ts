import { REDACTED, isSecretKey, redactText } from '../../common/domain/redaction.js';
import { type AuditJson } from './audit-entry.js';
import { canonicalJson, rememberCanonical } from './canonical-json.js';
import { sha256Hex } from './hash-chain.js';

/**
 * Limits and extra secrets for what goes into an audit entry. The shared redaction
 * (`common/domain/redaction.ts`: secret-looking keys, JWTs, bearer credentials) always
 * applies; the audit adds credential shapes seen in tool arguments (key=value pairs,
 * URL passwords, well-known API key formats, private key blocks), the process's own secrets,
 * and size caps so one request cannot bloat the log.
 */
export interface AuditRedactionOptions {
  /** A string longer than this (UTF-8 bytes) becomes `{ length, sha256 }`. */
  readonly maxStringBytes: number;
  /** `args`, `details` or `blockers` whose JSON is still larger becomes `{ length, sha256 }`. */
  readonly maxValueBytes: number;
  /** Deeper nesting becomes `"[too deep]"`. */
  readonly maxDepth: number;
  /** Array items beyond this are dropped and counted in a marker string. */
  readonly maxItems: number;
  /** Object keys beyond this are dropped and counted under the key `"…"`. */
  readonly maxKeys: number;
  /** Identifiers (actor, task id, tool…) are cut to this many characters. */
  readonly maxIdLength: number;
  /** Literal secrets of this process (e.g. the signing secret) scrubbed from every string. */
  readonly secrets: readonly string[];
}

export const DEFAULT_AUDIT_REDACTION: AuditRedactionOptions = {
  maxStringBytes: 2048,
  maxValueBytes: 16_384,
  maxDepth: 8,
  maxItems: 100,
  maxKeys: 100,
  maxIdLength: 256,
  secrets: [],
};

/** Secrets shorter than this are not scrubbed as text: they would match ordinary words. */
const MIN_SCRUBBED_SECRET = 8;

const EXTRA_SECRET_KEY = /(^|[-_.\s])(key|pass|pwd|pin)$|passphrase|jwt|^auth$/i;
/** camelCase: `signingKey`, `dbPass` (case-sensitive, so `monkey` is not one). */
const CAMEL_SECRET_KEY = /[a-z0-9](Key|Pass|Pwd|Pin)$/;
/** Under these keys even a number is a secret (a numeric password or PIN). */
const NUMERIC_SECRET_KEY = /passw|secret|pwd|pin$|passphrase/i;

/** The shared secret-key rule plus `ssh_key`, `signingKey`, `db_pass`, `passphrase`, … */
export function isAuditSecretKey(key: string): boolean {
  return isSecretKey(key) || EXTRA_SECRET_KEY.test(key) || CAMEL_SECRET_KEY.test(key);
}

/**
 * `name=value` / `"name": "value"` where the name holds a credential word. Matched in three
 * linear steps, not as one regex: `[…]*(?:word)[…]*` before the operator was retried at every
 * character of a long word (cubic time on `tokentoken…`). The name is a whole run of name
 * characters (the lookbehind anchors it), so each run is scanned once.
 */
const ASSIGNMENT_NAME = /(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]+(["']?\s*[:=]\s*["']?)/g;
const CREDENTIAL_WORD =
  /passw(?:or)?d|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential/i;
const ASSIGNED_VALUE = /[^\s"'&,;})\]]+/y;
const FLAG = /(--(?:password|passwd|token|secret|api[-_]key)\s+)(\S+)/gi;
/**
 * `scheme://user:password@`. The scheme is looked for behind each `://`, not tried at every
 * `\b` of a long `a.a.a…` run (quadratic); the literal comes first, so the lookbehind runs
 * only there.
 */
const URL_PASSWORD = /(:\/\/(?<=\b[a-z][a-z0-9+.-]*:\/\/)[^\s/:@]+:)[^\s/@]+@/gi;
const KNOWN_TOKEN =
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|AKIA[0-9A-Z]{16}|xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,}|glpat-[A-Za-z0-9_-]{20})\b/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
const HINT = /passw|pwd|secret|token|key|credential|--|:\/\/|gh|github_pat|AKIA|xox|sk-|glpat|PRIVATE/i;

/** Free text with credentials replaced by `[redacted]`. */
export function redactAuditText(text: string, secrets: readonly string[] = []): string {
  let out = redactText(text);
  for (const secret of secrets) {
    if (secret.length >= MIN_SCRUBBED_SECRET && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  if (!HINT.test(out)) return out;
  return redactAssignments(
    out
      .replace(PRIVATE_KEY, REDACTED)
      .replace(KNOWN_TOKEN, REDACTED)
      .replace(URL_PASSWORD, `$1${REDACTED}@`)
      .replace(FLAG, `$1${REDACTED}`),
  );
}

/** Replaces the value of every credential-named assignment; each character is looked at O(1) times. */
function redactAssignments(text: string): string {
  let out = '';
  let copied = 0;
  ASSIGNMENT_NAME.lastIndex = 0;
  for (let m = ASSIGNMENT_NAME.exec(text); m; m = ASSIGNMENT_NAME.exec(text)) {
    const valueAt = m.index + m[0].length;
    const name = m[0].slice(0, m[0].length - m[1].length);
    if (!CREDENTIAL_WORD.test(name) || text.startsWith(REDACTED, valueAt)) continue;
    ASSIGNED_VALUE.lastIndex = valueAt;
    const value = ASSIGNED_VALUE.exec(text);
    if (!value) continue;
    out += text.slice(copied, valueAt) + REDACTED;
    copied = valueAt + value[0].length;
    ASSIGNMENT_NAME.lastIndex = copied;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** The placeholder of a value too large to keep: its size and digest. */
export interface Digest {
  readonly length: number;
  readonly sha256: string;
  [key: string]: AuditJson;
}

export function digestOf(data: string | Uint8Array): Digest {
  const length = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  return { length, sha256: sha256Hex(data) };
}

function utf8Longer(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return Buffer.byteLength(text) > max;
}

/**
 * A JSON copy of `value` safe to write: secrets redacted (by key and by shape), long strings
 * and binary data replaced by `{ length, sha256 }` of the original, depth/width bounded,
 * cycles cut; and if the result is still over `maxValueBytes`, the whole value becomes the
 * digest of its redacted JSON. `undefined` (and functions, symbols) become null.
 */
export function redactAuditValue(
  value: unknown,
  options: AuditRedactionOptions = DEFAULT_AUDIT_REDACTION,
): AuditJson {
  const walked = walk(value, 0, options, new Set());
  if (walked === null || typeof walked !== 'object') return walked;
  const json = canonicalJson(walked);
  if (utf8Longer(json, options.maxValueBytes)) return digestOf(json);
  // `walked` is this function's own copy: sealing the entry reuses its encoding.
  rememberCanonical(walked, json);
  return walked;
}

function walk(value: unknown, depth: number, o: AuditRedactionOptions, seen: Set<object>): AuditJson {
  switch (typeof value) {
    case 'string':
      return utf8Longer(value, o.maxStringBytes) ? digestOf(value) : redactAuditText(value, o.secrets);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return digestOf(value);
  if (value instanceof ArrayBuffer) return digestOf(new Uint8Array(value));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Error) return walk({ name: value.name, message: value.message }, depth, o, seen);
  if (depth >= o.maxDepth) return '[too deep]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items: AuditJson[] = value.slice(0, o.maxItems).map((item) => walk(item, depth + 1, o, seen));
      if (value.length > o.maxItems) items.push(`[… ${value.length - o.maxItems} more items]`);
      return items;
    }
    const source = value instanceof Map ? Object.fromEntries(value) : value;
    const entries = Object.entries(source as Record<string, unknown>);
    const out: { [key: string]: AuditJson } = {};
    for (const [rawKey, member] of entries.slice(0, o.maxKeys)) {
      const key = capId(rawKey, o);
      out[key] =
        isAuditSecretKey(rawKey) && mayHoldSecret(rawKey, member)
          ? REDACTED
          : walk(member, depth + 1, o, seen);
    }
    if (entries.length > o.maxKeys) out['…'] = `${entries.length - o.maxKeys} more keys`;
    return out;
  } finally {
    seen.delete(value);
  }
}

/** Numbers and booleans under `tokens_used`-like keys carry no secret; under `pin` they may. */
function mayHoldSecret(key: string, value: unknown): boolean {
  if (typeof value === 'string') return value !== '';
  if (typeof value === 'number' || typeof value === 'bigint') return NUMERIC_SECRET_KEY.test(key);
  return typeof value === 'object' && value !== null;
}

/** An identifier: secrets scrubbed, cut to `maxIdLength` characters with a marker. */
export function capId(text: string, o: AuditRedactionOptions = DEFAULT_AUDIT_REDACTION): string {
  const clean = redactAuditText(text, o.secrets);
  if (clean.length <= o.maxIdLength) return clean;
  const keep = Math.max(1, o.maxIdLength - 24);
  return `${clean.slice(0, keep)}…[+${clean.length - keep} chars]`;
}

/** Free text (a reason): secrets scrubbed, cut to `maxStringBytes` with its full size and digest noted. */
export function capText(text: string, o: AuditRedactionOptions = DEFAULT_AUDIT_REDACTION): string {
  const clean = redactAuditText(text, o.secrets);
  if (!utf8Longer(clean, o.maxStringBytes)) return clean;
  const digest = digestOf(clean);
  const keep = Math.max(1, Math.floor(o.maxStringBytes / 2));
  return `${clean.slice(0, keep)}…[truncated: ${digest.length} bytes, sha256 ${digest.sha256}]`;
}
