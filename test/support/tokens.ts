import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { keyIdOf } from '../../src/auth/signing-keys.js';
import { TEST_SECRET } from './server-process.js';

export type Role = 'agent' | 'operator' | 'admin';

export interface MintOptions {
  secret?: string;
  typ?: string;
  expiresInSeconds?: number;
  kid?: string;
  extra?: Record<string, unknown>;
  /** Claims to leave out, e.g. to forge a token without `exp` signed with the real secret. */
  omit?: string[];
}

/** An access token signed like the server signs them (for tests, and for forging bad ones). */
export function accessToken(role: Role, subject: string, options: MintOptions = {}): string {
  const secret = options.secret ?? TEST_SECRET;
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    typ: options.typ ?? 'access',
    iss: 'workflow-orchestrator',
    sub: subject,
    role,
    iat: now,
    exp: now + (options.expiresInSeconds ?? 3600),
    jti: randomUUID(),
    orig_iat: now,
    ...options.extra,
  };
  for (const name of options.omit ?? []) delete claims[name];
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    keyid: options.kid ?? keyIdOf(secret),
    noTimestamp: !('iat' in claims),
  });
}

/** A token with `alg: none` and no signature. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

/** Decoded payload (no verification), for assertions. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
