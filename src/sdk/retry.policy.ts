/** How often and how long the client retries calls that are safe to repeat. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 disables retrying). */
  retries?: number;
  /** First backoff step in ms (default 200); doubles each retry. */
  baseDelayMs?: number;
  /** Cap for one backoff step and for an honoured Retry-After, in ms (default 10 000). */
  maxDelayMs?: number;
}

export const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** Resolved retry settings with defaults filled in. */
export function retrySettings(options: RetryOptions = {}): Required<RetryOptions> {
  return {
    retries: options.retries ?? 3,
    baseDelayMs: options.baseDelayMs ?? 200,
    maxDelayMs: options.maxDelayMs ?? 10_000,
  };
}

/** Exponential backoff with full jitter: spreads retries of many agents instead of synchronising them. */
export function backoffMs(attempt: number, settings: Required<RetryOptions>, random = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `Retry-After` in ms (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
