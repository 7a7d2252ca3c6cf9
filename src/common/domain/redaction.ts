/**
 * Keeps secrets out of logs, audit entries and events: values under secret-looking keys and
 * any string that looks like a JWT are replaced. Pure; shared by every sink.
 */
export const REDACTED = '[redacted]';

const SECRET_KEY =
  /secret|token|passw(or)?d|authorization|cookie|credential|api[-_]?key|private[-_]?key|^key$/i;
/**
 * Runs of base64url characters and dots: where a JWT can be. Each run is found once and then
 * cut into segments by hand, because a JWT regex (`eyJ[…]{5,}\.[…]{5,}\.[…]*`) is retried at
 * every `eyJ` of a long word and takes quadratic time (a 180 KB word stalled the server).
 */
const JWT_RUN = /[A-Za-z0-9_.-]{15,}/g;
/** Linear: `\s+` and the credential are followed by nothing that can fail and backtrack. */
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
/** A segment's first `eyJ` has the longest tail: if it is too short, every later one is. */
const MIN_HEADER_TAIL = 5;
const MIN_PAYLOAD = 5;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Replaces JWTs and bearer credentials inside free text. */
export function redactText(text: string): string {
  if (!text.includes('eyJ') && !/bearer/i.test(text)) return text;
  return redactJwts(text).replace(BEARER, `$1${REDACTED}`);
}

/**
 * Replaces every `eyJ<5+>.<5+>.<0+>` (base64url segments) — the same matches as that regex,
 * leftmost first, in one pass over the text.
 */
function redactJwts(text: string): string {
  if (!text.includes('eyJ')) return text;
  return text.replace(JWT_RUN, (run) => (run.includes('eyJ') ? redactJwtsInRun(run) : run));
}

function redactJwtsInRun(run: string): string {
  const segments = run.split('.');
  const out: string[] = [];
  let i = 0;
  while (i < segments.length) {
    const segment = segments[i];
    const at = segment.indexOf('eyJ');
    const fits =
      at >= 0 &&
      segment.length - at - 3 >= MIN_HEADER_TAIL &&
      i + 2 < segments.length &&
      segments[i + 1].length >= MIN_PAYLOAD;
    if (!fits) {
      out.push(segment);
      i++;
      continue;
    }
    // The signature segment is `[…]*`: it may be empty; the match ends where it does.
    out.push(segment.slice(0, at) + REDACTED);
    i += 3;
  }
  return out.join('.');
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
