import { Command } from 'commander';
import { registerTokenCommands } from '../auth/cli/token.commands.js';
import { registerWorkflowCommands } from '../workflow/cli/workflow.commands.js';
import { registerPolicyCommands } from '../workflow/cli/policy.commands.js';
import { registerStateCommands } from '../state/cli/state.commands.js';
import { registerAuditCommands } from '../audit/cli/audit.commands.js';
import { registerHookCommands } from '../hooks/cli/hook.commands.js';
import { registerDatabaseCommands } from '../database/cli/db.commands.js';
import { registerOperatorCommands } from '../operator/cli/operator.commands.js';
import { packageInfo } from '../common/package-info.js';
import { loadConfig } from '../config/config.loader.js';
import { configReport, formatConfigReport } from '../config/config.report.js';

/** The `orchestrator` command line. Each concern adds its subcommands here. */
export function buildProgram(): Command {
  const program = new Command('orchestrator')
    .description('Workflow Orchestrator: enforce PLAN → TDD → IMPL → REVIEW → COMPLETE for AI coding agents')
    .version(packageInfo.version, '-V, --version', 'print the version')
    .showHelpAfterError();

  program
    .command('serve', { isDefault: true })
    .description('start the HTTP server (the default command)')
    .option(
      '-c, --config <path>',
      'config file (else ORCHESTRATOR_CONFIG, ./orchestrator.yaml, /etc/orchestrator/orchestrator.yaml)',
    )
    .action(async (opts: { config?: string }) => {
      // Loaded on demand: the HTTP stack is heavy and other commands do not need it.
      const { serve } = await import('../server/serve.js');
      await serve({ configPath: opts.config });
    });

  const config = program.command('config').description('inspect configuration');
  config
    .command('show')
    .description('print the effective config with the source of each value (secrets redacted)')
    .option('-c, --config <path>', 'config file')
    .option('--json', 'print JSON rows instead of a table')
    .action((opts: { config?: string; json?: boolean }) => {
      const loaded = loadConfig({ configPath: opts.config });
      const rows = configReport(loaded);
      process.stdout.write(
        opts.json
          ? `${JSON.stringify({ file: loaded.file, values: rows }, null, 2)}\n`
          : `${formatConfigReport(rows, loaded.file)}\n`,
      );
    });

  registerTokenCommands(program);
  registerWorkflowCommands(program);
  registerPolicyCommands(program);
  registerStateCommands(program);
  registerAuditCommands(program);
  registerHookCommands(program);
  registerDatabaseCommands(program);
  registerOperatorCommands(program);
  return program;
}
