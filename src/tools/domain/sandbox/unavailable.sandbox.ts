import { UnavailableError } from '../../../common/domain/domain-error.js';
import { type CommandResult } from '../process-runner.js';
import { type CommandSandbox, type SandboxStatus } from './command-sandbox.js';

/** Fail closed: no sandbox could be set up, so no command runs (file tools still work). */
export class UnavailableSandbox implements CommandSandbox {
  readonly status: SandboxStatus;

  constructor(reason: string) {
    this.status = { mode: 'bubblewrap', available: false, reason };
  }

  run(): Promise<CommandResult> {
    return Promise.reject(
      new UnavailableError(
        'sandbox_unavailable',
        `this server runs no commands: the sandbox is unavailable (${this.status.reason}); see docs/SECURITY.md`,
      ),
    );
  }

  async close(): Promise<void> {}
}
