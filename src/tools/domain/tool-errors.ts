import { DomainError, ForbiddenError, InvalidInputError } from '../../common/domain/domain-error.js';

/**
 * The errors a tool call can end with. Codes are stable (clients branch on them); messages
 * name the offending argument as the caller gave it and never a host path outside the
 * workspace, nor another file's contents.
 */

/** The arguments do not match the tool's schema; `field` names the first bad one. */
export function invalidToolArgs(message: string, field?: string): InvalidInputError {
  return new InvalidInputError('invalid_tool_args', message, field === undefined ? undefined : { field });
}

/** The tool ran and could not do its job: a missing file, a directory where a file belongs… */
export function toolFailed(message: string): InvalidInputError {
  return new InvalidInputError('tool_failed', message);
}

/** A path that leaves the workspace: `..`, an absolute path elsewhere, or a symlink out. */
export function outsideWorkspace(message: string): ForbiddenError {
  return new ForbiddenError('path_outside_workspace', message);
}

/** A shell operator or expansion in a command that must run without a shell. */
export function shellOperatorRefused(message: string): ForbiddenError {
  return new ForbiddenError('shell_operator_not_allowed', message);
}

/** The command ran past its time limit; its process group was killed. `result` is the output. */
export function commandTimedOut(message: string, result: object): InvalidInputError {
  return new InvalidInputError('command_timeout', message, { result });
}

/** A tool name the policy may know (a workflow lists it) but nothing here can run. */
export function noExecutor(tool: string): DomainError {
  return new DomainError('not_implemented', 'no_executor', `tool '${tool}' has no executor on this server`);
}

/** The workflow's path rules deny where a path really lands (after symlinks). */
export function pathForbidden(message: string, rule: string, path: string): ForbiddenError {
  return new ForbiddenError('tool_forbidden', message, { rule, path });
}

/** A file with more than one name: its other name may be anywhere, outside the workspace too. */
export function hardLinkRefused(label: string, links: number): ForbiddenError {
  return new ForbiddenError(
    'hard_link_refused',
    `${label} is a hard link (${links} names): refused, since another of its names may be outside the workspace`,
  );
}
