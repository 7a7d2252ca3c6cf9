import { DomainError } from '../../common/domain/domain-error.js';
import { toolFailed } from './tool-errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EMFILE: 'too many open files, try again',
  EBUSY: 'resource busy',
};

/**
 * A file system error as a `tool_failed` error that names the argument (`label`) and the
 * reason, never Node's message: that carries the host path, possibly outside the workspace.
 * Domain errors pass through; anything without an errno code is a bug and is rethrown.
 */
export function fsFailure(error: unknown, label: string): Error {
  if (error instanceof DomainError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string') return error instanceof Error ? error : new Error(String(error));
  return toolFailed(`${label}: ${REASONS[code] ?? `failed (${code})`}`);
}
