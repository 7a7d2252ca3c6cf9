/**
 * Keeps secrets out of logs, audit entries and events: values under secret-looking keys and
 * any string that looks like a JWT are replaced. Pure; shared by every sink.
 */
export const REDACTED = '[redacted]';

const SECRET_KEY =
  /secret|token|passw(or)?d|authorization|cookie|credential|api[-_]?key|private[-_]?key|^key$/i;
/** Three base64url segments, the first decoding to a JSON header: `eyJ…`. */
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Replaces JWTs and bearer credentials inside free text. */
export function redactText(text: string): string {
  if (!text.includes('eyJ') && !/bearer/i.test(text)) return text;
  return text.replace(JWT, REDACTED).replace(BEARER, `$1${REDACTED}`);
}

/** A deep copy of `value` with secrets redacted; cycles and depth are bounded. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // Numbers and booleans under such keys (`tokens_used: 3`) cannot carry a secret.
    const mayHoldSecret = typeof v === 'string' ? v !== '' : typeof v === 'object' && v !== null;
    out[k] = isSecretKey(k) && mayHoldSecret ? REDACTED : redactSecrets(v, depth + 1);
  }
  return out;
}

/** A URL with the values of secret-looking query parameters (e.g. `phase_token`) redacted. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return redactText(url);
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && isSecretKey(decodeSafe(name)) ? `${name}=${REDACTED}` : redactText(pair);
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
