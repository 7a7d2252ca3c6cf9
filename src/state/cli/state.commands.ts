import { resolve } from 'node:path';
import { type Command } from 'commander';
import { DomainError } from '../../common/domain/domain-error.js';
import { loadConfig } from '../../config/config.loader.js';
import { backupState, restoreState } from '../file/state-backup.js';

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

/** `orchestrator state backup FILE` and `state restore FILE` for the file store. */
export function registerStateCommands(program: Command): void {
  const state = program.command('state').description('the file state store');
  state
    .command('backup')
    .argument('<file>', 'where to write the backup (one JSON file; journal already applied)')
    .description('write a consistent copy of the state; safe while the server runs')
    .option('-c, --config <path>', 'config file')
    .action(async (file: string, opts: { config?: string }) => {
      const config = loadConfig({ configPath: opts.config });
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
      const report = await refusing(() =>
        restoreState(resolve(config.baseDir, config.values.state.state_file), file),
      );
      const kept = report.previous ? `; the replaced state is kept as ${report.previous.stateFile}` : '';
      process.stdout.write(`restored ${report.tasks} tasks from ${resolve(file)}${kept}\n`);
    });
}
