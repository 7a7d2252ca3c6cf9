/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, numbers and strings
 * as `JSON.stringify` writes them. For the JSON values audit entries hold this is RFC 8785
 * (JSON Canonicalization Scheme), so the hash chain can be checked from any language.
 *
 * `undefined` members are left out (as in JSON); `undefined` array items become `null`.
 * Non-finite numbers are refused: they have no JSON form and redaction never produces them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
  }
  const known = (value as Remembered)[CANONICAL];
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += `${i === 0 ? '' : ','}${item === undefined ? 'null' : canonicalJson(item)}`;
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length > 1) keys.sort();
  let out = '{';
  for (const key of keys) {
    const member = record[key];
    if (member !== undefined)
      out += `${out === '{' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

/**
 * Canonical forms already computed, on the object itself under a symbol of this module, not
 * enumerable (so no JSON, spread or key listing sees it): redaction encodes `args` and `details`
 * to measure them, and sealing the entry would encode them again. Only for objects built by the
 * audit code itself and never changed afterwards (the redacted copies); a caller's object is
 * never marked. Not a WeakMap: an entry per audited request, each handled specially by every
 * young-generation collection, cost more than the property.
 */
const CANONICAL = Symbol('canonicalJson');
type Remembered = { [CANONICAL]?: string };

/** Records that `json` is the canonical form of `value`, which nobody changes from now on. */
export function rememberCanonical(value: object, json: string): void {
  Object.defineProperty(value, CANONICAL, {
    value: json,
    enumerable: false,
    writable: false,
    configurable: false,
  });
}
