import { InvalidInputError } from '../common/domain/domain-error.js';

/** A listing cursor names the creation position where the next page starts. */
export function encodeCursor(position: number): string {
  return Buffer.from(`p:${position}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^p:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new InvalidInputError('invalid_cursor', 'The cursor is not one this server issued');
  return Number(match[1]);
}
