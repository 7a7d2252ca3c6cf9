import { redactUrlCredentials } from '../common/domain/url-credentials.js';

/** A configuration problem that must stop start-up (exit code 2). Message is one line. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }

  /** One line naming the key, the bad value and where it came from. */
  static forKey(key: string, value: unknown, source: string, reason: string): ConfigError {
    return new ConfigError(`invalid config ${key}=${describe(value)} (from ${source}): ${reason}`);
  }
}

function describe(value: unknown): string {
  // A URL's password never reaches an error message, even when the URL itself is what is wrong.
  const text = redactUrlCredentials(typeof value === 'string' ? JSON.stringify(value) : safeJson(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
