import { DomainError } from '../../src/common/domain/domain-error.js';

/** The code of the DomainError `run` throws, or `accepted` when it throws nothing. */
export function errorCodeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'accepted';
}

/** The code of the DomainError `promise` rejects with, or `accepted` when it resolves. */
export async function rejectionCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'accepted';
}
