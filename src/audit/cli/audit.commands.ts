import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config/config.loader.js';
import { runAuditTail } from './audit-tail.command.js';
import { runAuditVerify } from './audit-verify.command.js';

function configuredAuditFile(configPath: string | undefined): string {
  const config = loadConfig({ configPath });
  return resolve(config.baseDir, config.values.audit.audit_file);
}

/** `orchestrator audit verify [FILE…]` and `orchestrator audit tail [-n N] [--follow]`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .argument('[files...]', 'audit files to check (default: audit.audit_file and its rotated files)')
    .description('recompute the hash chain; exit 0 when intact, 1 at the first broken entry')
    .option('-c, --config <path>', 'config file')
    .option('--json', 'print the report as JSON')
    .action(async (files: string[], opts: { config?: string; json?: boolean }) => {
      process.exitCode = await runAuditVerify({
        files,
        auditFile: configuredAuditFile(opts.config),
        json: opts.json,
      });
    });
  audit
    .command('tail')
    .description('print the latest entries as JSON lines, oldest first')
    .option('-n, --lines <count>', 'how many entries', parseCount, 10)
    .option('-f, --follow', 'keep printing new entries until interrupted (Ctrl-C)')
    .option('-c, --config <path>', 'config file')
    .action(async (opts: { lines: number; follow?: boolean; config?: string }) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        process.exitCode = await runAuditTail({
          auditFile: configuredAuditFile(opts.config),
          count: opts.lines,
          follow: opts.follow,
          signal: stop.signal,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0)
    throw new InvalidArgumentError(`--lines must be a whole number, got ${value}`);
  return count;
}
