/**
 * Ends the process for an error that stopped a command: one line on stderr; exit code 2 for
 * refusals that carry one (config, start-up), else 1. Stacks only for unexpected errors.
 */
export function reportFatal(err: unknown): never {
  const exitCode = (err as { exitCode?: unknown })?.exitCode;
  if (typeof exitCode === 'number') {
    process.stderr.write(`orchestrator: ${(err as Error).message}\n`);
    process.exit(exitCode);
  }
  process.stderr.write(
    `orchestrator: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}
