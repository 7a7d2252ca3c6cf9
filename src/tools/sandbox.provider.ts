import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { dirname, resolve } from 'node:path';
import { Clock } from '../common/domain/clock.js';
import { AppConfig } from '../config/app-config.js';
import { StatusRegistry } from '../status/status-registry.js';
import { COMMAND_SANDBOX, type CommandSandbox } from './domain/sandbox/command-sandbox.js';
import { openCommandSandbox } from './domain/sandbox/open-sandbox.js';
import { UnavailableSandbox } from './domain/sandbox/unavailable.sandbox.js';
import { Workspace } from './domain/workspace.js';

/** The workspace (`tools.workspace_root`), opened and created once; its root is a real path. */
export const workspaceProvider: Provider = {
  provide: Workspace,
  inject: [AppConfig],
  useFactory: (config: AppConfig) =>
    Workspace.open(resolve(config.baseDir, config.values.tools.workspace_root)),
};

/** The sandbox, opened (and probed) once at start-up from the `tools.sandbox*` keys. */
export const commandSandboxProvider: Provider = {
  provide: COMMAND_SANDBOX,
  inject: [AppConfig, Clock, Workspace],
  useFactory: async (config: AppConfig, clock: Clock, workspace: Workspace): Promise<CommandSandbox> => {
    const tools = config.values.tools;
    if (!tools.execution_enabled) return new UnavailableSandbox('tools.execution_enabled is false');
    return openCommandSandbox({
      mode: tools.sandbox,
      workspaceRoot: workspace.root,
      privateDir: dirname(resolve(config.baseDir, config.values.state.state_file)),
      clock,
      settings: {
        network: tools.sandbox_network,
        readOnlyPaths: tools.sandbox_read_only_paths,
        limits: {
          maxProcesses: tools.sandbox_max_processes,
          memoryMb: tools.sandbox_memory_mb,
          cpuSeconds: tools.sandbox_cpu_seconds,
          maxFileMb: tools.sandbox_max_file_mb,
          maxOpenFiles: tools.sandbox_max_open_files,
          tmpMb: tools.sandbox_tmp_mb,
        },
      },
    });
  },
};

/** Says at start-up how commands run (loudly when they run unconfined or not at all), and cleans up at shutdown. */
@Injectable()
export class SandboxLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Sandbox');

  constructor(
    @Inject(COMMAND_SANDBOX) private readonly sandbox: CommandSandbox,
    private readonly status: StatusRegistry,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const { status } = this.sandbox;
    this.status.contribute(() => ({ sandbox: status }));
    if (!this.config.values.tools.execution_enabled) return;
    if (status.mode === 'none') {
      this.logger.error(
        `tools.sandbox is none (${this.config.sourceOf('tools.sandbox')}): commands run UNCONFINED as the server user; ` +
          'an agent can read the signing secret and rewrite state and audit files. Use only where every agent is trusted.',
      );
    } else if (!status.available) {
      this.logger.error(`commands are refused (sandbox_unavailable): ${status.reason}`);
    } else {
      this.logger.log(
        `commands run in a bubblewrap sandbox (limits per ${status.limits_scope === 'cgroup' ? 'command' : 'process'})`,
      );
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.sandbox.close();
  }
}
