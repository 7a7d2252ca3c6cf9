import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type KeyObject } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { type AppConfig } from '../../config/app-config.js';
import { loadConfig } from '../../config/config.loader.js';
import { ConfigError } from '../../config/config.error.js';
import { auditAnchorPath } from '../anchor/anchor-path.js';
import { FileAuditAnchorStore } from '../anchor/file-audit-anchor.store.js';
import { trustedKeys } from '../domain/checkpoint.js';
import { loadPreviousKeys, loadPublicKey, signingKeyPath } from '../signing/audit-signing-key.js';
import { runAuditTail } from './audit-tail.command.js';
import { runAuditVerify } from './audit-verify.command.js';
import { anchorStore, runPostgresAuditVerify, withAuditPool } from './audit-verify-postgres.command.js';
import { runAuditAnchorExport } from './audit-anchor.command.js';
import { databaseTarget } from '../../database/database-target.js';

interface VerifyFlags {
  config?: string;
  json?: boolean;
  publicKey: string[];
  anchor?: string;
}

/**
 * The keys `verify` trusts: `--public-key` files, else `audit.public_key_file`, else the public
 * half of the signing key (configured or generated). Only given files may be checked without one.
 */
function verifyKeys(config: AppConfig, flags: VerifyFlags, explicit: boolean): KeyObject[] {
  const fromFlag = (path: string) =>
    loadPublicKey(resolve(path), (reason) => new ConfigError(`audit verify --public-key ${path}: ${reason}`));
  if (flags.publicKey.length > 0) return flags.publicKey.map(fromFlag);
  if (explicit) return [];
  return [...currentKey(config), ...loadPreviousKeys(config)];
}

function currentKey(config: AppConfig): KeyObject[] {
  const publicFile = config.values.audit.public_key_file;
  if (publicFile) {
    return [
      loadPublicKey(resolve(config.baseDir, publicFile), (reason) =>
        ConfigError.forKey(
          'audit.public_key_file',
          publicFile,
          config.sourceOf('audit.public_key_file'),
          reason,
        ),
      ),
    ];
  }
  const keyFile = signingKeyPath(config);
  if (!existsSync(keyFile)) {
    throw new ConfigError(
      `audit verify: no public key to check checkpoint signatures with (${keyFile} does not exist); pass --public-key FILE or set audit.public_key_file`,
    );
  }
  return [
    loadPublicKey(
      keyFile,
      (reason) =>
        new ConfigError(`audit verify: the signing key ${keyFile}: ${reason}; pass --public-key FILE`),
    ),
  ];
}

/** `orchestrator audit verify [FILE…]` and `orchestrator audit tail [-n N] [--follow]`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .argument('[files...]', 'audit files to check (default: audit.audit_file and its rotated files)')
    .description(
      'check the hash chain, the signed checkpoints and the anchor; exit 0 when intact, 1 at the first missing or altered entry',
    )
    .option('-c, --config <path>', 'config file')
    .option('--json', 'print the report as JSON')
    .option(
      '--public-key <file>',
      'trusted Ed25519 public key (PEM); repeat for keys used before a key change (default: audit.public_key_file, else the signing key)',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option(
      '--anchor <file>',
      'the anchor file (default: audit-anchor.json in the state directory, or the audit_anchors table on postgres; with FILEs: none)',
    )
    .action(async (files: string[], opts: VerifyFlags) => {
      const config = loadConfig({ configPath: opts.config });
      const explicit = files.length > 0;
      const keys = verifyKeys(config, opts, explicit);
      if (!explicit && config.values.state.backend === 'postgres') {
        // The chain is in the database: audit_entries, with the table's anchor or an exported one.
        process.exitCode = await runPostgresAuditVerify({
          target: databaseTarget(config),
          json: opts.json,
          ...(keys.length > 0 ? { keys: trustedKeys(keys) } : {}),
          anchorFile: opts.anchor ? resolve(opts.anchor) : null,
        });
        return;
      }
      const anchorFile = opts.anchor ? resolve(opts.anchor) : explicit ? null : auditAnchorPath(config);
      const anchors = anchorFile ? new FileAuditAnchorStore(anchorFile) : null;
      process.exitCode = await runAuditVerify({
        files,
        auditFile: resolve(config.baseDir, config.values.audit.audit_file),
        json: opts.json,
        ...(keys.length > 0 ? { keys: trustedKeys(keys) } : {}),
        ...(anchors ? { anchor: { value: await anchors.read(), location: anchors.location } } : {}),
      });
    });
  audit
    .command('anchor')
    .description(
      'print the latest anchor (or write it with --out) to keep off the host for `audit verify --anchor FILE`',
    )
    .option('-c, --config <path>', 'config file')
    .option('-o, --out <file>', 'write it as an anchor file instead of printing it')
    .action(async (opts: { config?: string; out?: string }) => {
      const config = loadConfig({ configPath: opts.config });
      const out = opts.out ? resolve(opts.out) : null;
      if (config.values.state.backend === 'postgres') {
        process.exitCode = await withAuditPool(databaseTarget(config), async (pool) =>
          runAuditAnchorExport(await anchorStore(pool, null), out),
        );
        return;
      }
      process.exitCode = await runAuditAnchorExport(new FileAuditAnchorStore(auditAnchorPath(config)), out);
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
        const config = loadConfig({ configPath: opts.config });
        const flags = { count: opts.lines, follow: opts.follow, signal: stop.signal };
        process.exitCode =
          config.values.state.backend === 'postgres'
            ? // The chain is in the database: its audit_entries table.
              await withAuditPool(databaseTarget(config), async (pool) => {
                const { runPostgresAuditTail } = await import('./audit-tail-postgres.command.js');
                return runPostgresAuditTail(pool, flags);
              })
            : await runAuditTail({
                auditFile: resolve(config.baseDir, config.values.audit.audit_file),
                ...flags,
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
