import { type Clock } from '../../../common/domain/clock.js';
import { type CommandResult, runProcess } from '../process-runner.js';
import { type CommandSandbox, type SandboxedCommand, type SandboxStatus } from './command-sandbox.js';

/**
 * `tools.sandbox: none`: commands run as the server's own user, seeing its files and
 * processes, in their own process group with a minimal environment. Only for hosts where
 * every agent is trusted; start-up says so loudly.
 */
export class UnconfinedSandbox implements CommandSandbox {
  readonly status: SandboxStatus = {
    mode: 'none',
    available: true,
    reason: 'tools.sandbox is none: commands run unconfined, as the server user',
  };

  constructor(private readonly clock: Clock) {}

  run(command: SandboxedCommand): Promise<CommandResult> {
    const [file, ...args] = command.argv;
    return runProcess({
      file,
      args,
      cwd: command.cwd,
      env: command.env,
      timeoutMs: command.timeoutMs,
      maxOutputBytes: command.maxOutputBytes,
      clock: this.clock,
    });
  }

  async close(): Promise<void> {}
}
