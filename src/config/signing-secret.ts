import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { type AppConfig } from './app-config.js';
import { ConfigError } from './config.error.js';

export const MIN_SECRET_BYTES = 32;
const GENERATE_HINT = 'generate one with `openssl rand -hex 32`';

/**
 * The JWT signing secrets: the current one and those still accepted during a rotation.
 * Its own injection token. It never serialises or prints its values.
 */
export class SigningSecret {
  constructor(
    private readonly current: string,
    private readonly previous: readonly string[],
    /** Where the current secret came from, e.g. `env ORCHESTRATOR_JWT_SECRET` (never the value). */
    readonly source: string,
  ) {}

  /** The secret new tokens are signed with. */
  reveal(): string {
    return this.current;
  }

  /** Secrets from `<var>_PREVIOUS`, accepted for verification until their tokens expire. */
  revealPrevious(): readonly string[] {
    return this.previous;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return `SigningSecret(${this.source})`;
  }
}

export interface SecretResolution {
  secret: SigningSecret;
  /** Loud warnings for the operator (development fallbacks). */
  warnings: string[];
}

/** Path of the development secret file: beside the state file (`.orchestrator/dev-secret` by default). */
export function devSecretPath(config: AppConfig): string {
  return resolve(config.baseDir, dirname(config.values.state.state_file), 'dev-secret');
}

/**
 * Reads the signing secret from the env variable named by `security.jwt_secret_env_var`.
 * Production refuses a missing or short secret; development creates and reuses a file.
 */
export function resolveSigningSecret(
  config: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
  options: { createDevSecret?: boolean } = {},
): SecretResolution {
  const varName = config.values.security.jwt_secret_env_var;
  const production = env.NODE_ENV === 'production';
  const value = env[varName];
  const previous = (env[`${varName}_PREVIOUS`] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const warnings: string[] = [];

  if (value !== undefined && value !== '') {
    if (Buffer.byteLength(value) < MIN_SECRET_BYTES) {
      const problem = `${varName} is too short (${Buffer.byteLength(value)} bytes; at least ${MIN_SECRET_BYTES} needed)`;
      if (production) throw new ConfigError(`${problem}: ${GENERATE_HINT} and set ${varName}`);
      warnings.push(`${problem}; accepted in development only: ${GENERATE_HINT}`);
    }
    return { secret: new SigningSecret(value, previous, `env ${varName}`), warnings };
  }
  if (production) {
    throw new ConfigError(
      `${varName} is not set: production (NODE_ENV=production) needs a signing secret of at least ${MIN_SECRET_BYTES} bytes; ${GENERATE_HINT} and export ${varName}`,
    );
  }

  const path = devSecretPath(config);
  if (existsSync(path)) {
    const stored = readFileSync(path, 'utf8').trim();
    if (Buffer.byteLength(stored) >= MIN_SECRET_BYTES) {
      warnings.push(
        `${varName} is not set: using the development secret in ${path} (never do this in production)`,
      );
      return { secret: new SigningSecret(stored, previous, `file ${path}`), warnings };
    }
  }
  if (options.createDevSecret === false) {
    throw new ConfigError(
      `${varName} is not set and no development secret exists at ${path}: start the server once or set ${varName}`,
    );
  }
  const generated = randomBytes(32).toString('hex');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${generated}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  warnings.push(
    `${varName} is not set: generated a development secret in ${path} (mode 0600). Production refuses to start without ${varName}.`,
  );
  return { secret: new SigningSecret(generated, previous, `file ${path}`), warnings };
}
