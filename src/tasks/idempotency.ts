import { createHash } from 'node:crypto';
import { ConflictError, InvalidInputError } from '../common/domain/domain-error.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const SAFE_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/** The store key for a caller's idempotency key, scoped so agents cannot collide. */
export function idempotencyKey(scope: string, subject: string, key: string | undefined): string | null {
  if (key === undefined || key === '') return null;
  if (!SAFE_KEY.test(key)) {
    throw new InvalidInputError(
      'invalid_idempotency_key',
      'Idempotency-Key must be 1-200 letters, digits or . _ : -',
    );
  }
  return `${scope}:${subject}:${key}`;
}

/** Hash of what a request asks for; a key reused for a different request is refused. */
export function fingerprint(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

export function assertSameRequest(stored: string, current: string): void {
  if (stored !== current) {
    throw new ConflictError(
      'idempotency_key_reused',
      'this Idempotency-Key was used for a different request',
    );
  }
}
