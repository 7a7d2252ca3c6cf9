import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { type Command } from 'commander';
import { DomainError } from '../../common/domain/domain-error.js';
import { openAuditStore } from '../../audit/open-audit-store.js';
import { type AppConfig } from '../../config/app-config.js';
import { loadConfig } from '../../config/config.loader.js';
import { FileStateRepository } from '../file/file-state.repository.js';
import { AuditOutboxRelay } from '../outbox/audit-outbox-relay.js';
import { backupState, restoreState } from '../file/state-backup.js';
import { repairState } from '../file/state-repair.js';
import { backupPostgresState, restorePostgresState } from '../postgres/backup/postgres-state-backup.js';

/** Refusals a user fixes (locked directory, missing file) exit 2 with one line, like start-up. */
class StateCommandError extends Error {
  readonly exitCode = 2;
}

async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw new StateCommandError(err.message);
    throw err;
  }
}

/** `orchestrator state backup FILE` and `state restore FILE` for the file and postgres stores. */
export function registerStateCommands(program: Command): void {
  const state = program.command('state').description('the state store (file or postgres)');
  state
    .command('backup')
    .argument('<file>', 'where to write the backup (one JSON file; journal already applied)')
    .description('write a consistent copy of the state; safe while the server runs')
    .option('-c, --config <path>', 'config file')
    .action(async (file: string, opts: { config?: string }) => {
      const config = loadConfig({ configPath: opts.config });
      if (config.values.state.backend === 'postgres') {
        const pgReport = await refusing(() => backupPostgresState(config, file));
        process.stdout.write(
          `backed up ${pgReport.tasks} tasks (one consistent snapshot, ${pgReport.digest}) to ${pgReport.file}\n`,
        );
        return;
      }
      const report = await refusing(() =>
        backupState(resolve(config.baseDir, config.values.state.state_file), file),
      );
      for (const warning of report.warnings)
        process.stderr.write(`warning: ${warning.code}: ${warning.message}\n`);
      process.stdout.write(
        `backed up ${report.tasks} tasks (${report.journalRecords} journal records applied) to ${report.file}\n`,
      );
    });
  state
    .command('restore')
    .argument('<file>', 'a file written by `state backup`')
    .description('replace the state with a backup; refused while a server holds the state directory')
    .option('-c, --config <path>', 'config file')
    .action(async (file: string, opts: { config?: string }) => {
      const config = loadConfig({ configPath: opts.config });
      if (config.values.state.backend === 'postgres') {
        const pgReport = await refusing(() => restorePostgresState(config, file, `cli:${userName()}`));
        process.stdout.write(
          `restored ${pgReport.tasks} tasks from ${resolve(file)}; the state.restore audit entry is in the ` +
            `audit outbox and sealed into the chain when a server starts\n`,
        );
        return;
      }
      const stateFile = resolve(config.baseDir, config.values.state.state_file);
      const report = await refusing(() => restoreState(stateFile, file, undefined, `cli:${userName()}`));
      const kept = report.previous ? `; the replaced state is kept as ${report.previous.stateFile}` : '';
      process.stdout.write(`restored ${report.tasks} tasks from ${resolve(file)}${kept}\n`);
      const audited = await deliverStoredEntries(config, stateFile).then(
        () => 'the state.restore audit entry is in the audit log',
        (error: unknown) =>
          `the state.restore audit entry is kept in the state and written when the server next starts (${(error as Error).message})`,
      );
      process.stdout.write(`${audited}\n`);
    });
  state
    .command('repair')
    .description(
      'list what is damaged in the state and what accepting it drops; with --accept-loss, drop it (audited)',
    )
    .option(
      '--accept-loss',
      'rewrite the state without what is damaged (the damaged files are kept as copies)',
    )
    .option('-c, --config <path>', 'config file')
    .action(async (opts: { acceptLoss?: boolean; config?: string }) => {
      const config = loadConfig({ configPath: opts.config });
      const stateFile = resolve(config.baseDir, config.values.state.state_file);
      const report = await refusing(() =>
        repairState(stateFile, { accept: opts.acceptLoss === true, actor: `cli:${userName()}` }),
      );
      if (report.problems.length === 0) {
        process.stdout.write(`state is intact (${report.tasks} tasks): nothing to repair\n`);
        return;
      }
      const out = report.repaired ? process.stdout : process.stderr;
      out.write(`${report.problems.length} problem(s) in ${stateFile}:\n`);
      for (const p of report.problems) out.write(`  ${p.file} ${p.where}: ${p.what}\n    drops: ${p.loss}\n`);
      if (!report.repaired) {
        throw new StateCommandError(
          `nothing was changed; ${report.tasks} tasks would be kept. Run \`orchestrator state repair --accept-loss\` to drop the above (audited), or restore a backup`,
        );
      }
      for (const copy of report.copies) out.write(`kept a copy of the damaged file as ${copy}\n`);
      const audited = await deliverStoredEntries(config, stateFile).then(
        () => 'the state.repair audit entry is in the audit log',
        (error: unknown) =>
          `the state.repair audit entry is kept in the state and written when the server next starts (${(error as Error).message})`,
      );
      out.write(`repaired: ${report.tasks} tasks kept; ${audited}\n`);
    });
}

/** Appends the audit entries a repair or restore stored in the state's outbox to the audit log now. */
async function deliverStoredEntries(config: AppConfig, stateFile: string): Promise<void> {
  const state = await FileStateRepository.open({ stateFile });
  try {
    const audit = await openAuditStore({
      config: config.values.audit,
      baseDir: config.baseDir,
      ownedDir: dirname(stateFile),
    });
    try {
      await new AuditOutboxRelay(state, audit).deliver();
    } finally {
      await audit.close();
    }
  } finally {
    await state.close();
  }
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
