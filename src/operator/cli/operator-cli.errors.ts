import { terminalText } from '../../common/cli/terminal-text.js';
import { OrchestratorError, OrchestratorUnavailableError } from '../../sdk/errors.js';

/** Exit codes of the operator commands (docs/OPERATOR_CLI.md, "Exit codes"). */
export const EXIT_OK = 0;
/** The server answered and refused: 4xx (bad token, not found, conflict, not an approver…). */
export const EXIT_REFUSED = 1;
/** Bad usage, or no answer: unreachable, overloaded (429 after retries) or failing (5xx). */
export const EXIT_USAGE_OR_UNREACHABLE = 2;

/** A command line or environment the command cannot run with (missing URL, unreadable token file…). */
export class CliUsageError extends Error {
  readonly exitCode = EXIT_USAGE_OR_UNREACHABLE;
}

/** The server's state does not allow what was asked, found before any call that would change it. */
export class CliRefusal extends Error {
  readonly exitCode = EXIT_REFUSED;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof CliUsageError || error instanceof CliRefusal) return error.exitCode;
  if (error instanceof OrchestratorUnavailableError) return EXIT_USAGE_OR_UNREACHABLE;
  if (error instanceof OrchestratorError && error.status >= 400 && error.status < 500) return EXIT_REFUSED;
  return EXIT_USAGE_OR_UNREACHABLE;
}

/**
 * The one line to print for an error. The token never shows in it: messages name the method and
 * URL (without query string or credentials), and any text that somehow carries the token has it
 * replaced.
 */
export function describeError(error: unknown, secrets: readonly string[] = []): string {
  const known =
    error instanceof OrchestratorError || error instanceof CliUsageError || error instanceof CliRefusal;
  const text = error instanceof Error ? error.message : String(error);
  const said = known ? text : `unexpected error: ${text}`;
  const redacted = secrets
    .filter((s) => s.length > 0)
    .reduce((out, secret) => out.split(secret).join('[redacted]'), said);
  // Server messages may quote what an agent or the caller wrote: one line, no escape sequences.
  return terminalText(redacted);
}
