import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { StateRepository } from '../state/state.repository.js';
import { type TaskStatus } from './domain/task.model.js';
import { TaskWorkflows } from './workflow-of-task.js';

const OPEN: readonly TaskStatus[] = ['queued', 'claimed'];
const PAGE = 1000;

/**
 * At start-up, warns about open tasks pinned to a workflow version that is not loaded. Claims pass
 * them over, so without this they would wait in the queue without anyone being told.
 */
@Injectable()
export class UnloadedWorkflowCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('Tasks');

  constructor(
    private readonly state: StateRepository,
    private readonly workflows: TaskWorkflows,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const stranded = await this.strandedByVersion();
    if (stranded.size === 0) return;
    const count = [...stranded.values()].reduce((a, b) => a + b, 0);
    const versions = [...stranded].map(([version, n]) => `${version}: ${n}`).join(', ');
    this.logger.warn(
      `${count} open tasks are pinned to workflow versions that are not loaded (${versions}); ` +
        'claims pass over them: load those versions again (workflow.file) or cancel the tasks',
    );
  }

  /** `name version` → number of open tasks pinned to it that is not loaded. */
  private async strandedByVersion(): Promise<Map<string, number>> {
    const stranded = new Map<string, number>();
    for (const status of OPEN) {
      let cursor: string | undefined;
      do {
        const page = await this.state.listTasks({ status, limit: PAGE, cursor });
        for (const task of page.tasks) {
          if (this.workflows.isLoaded(task)) continue;
          const version = `${task.workflow.name} ${task.workflow.version}`;
          stranded.set(version, (stranded.get(version) ?? 0) + 1);
        }
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
    }
    return stranded;
  }
}
