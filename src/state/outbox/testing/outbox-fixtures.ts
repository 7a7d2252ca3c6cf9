import { MemoryAuditStore } from '../../../audit/memory-audit.store.js';
import type { AuditEntry, AuditEntryInput } from '../../../audit/domain/audit-entry.js';
import { type Clock } from '../../../common/domain/clock.js';
import { UnavailableError } from '../../../common/domain/domain-error.js';
import { type IdGenerator } from '../../../common/domain/ids.js';
import { createTask } from '../../../tasks/domain/task-factory.js';
import type { Task } from '../../../tasks/domain/task.model.js';

/** A small task factory for outbox specs. */
export function taskMaker(clock: Clock, ids: IdGenerator): (title: string) => Task {
  return (title) =>
    createTask(
      { title, workflow: { name: 'w', version: '1' }, initialPhase: 'PLAN', maxAttempts: 2, createdBy: 'op' },
      { clock, ids },
    );
}

/** The audit entry of a task's creation, as a service would store it with the change. */
export const created = (task: Task): AuditEntryInput => ({
  actor: 'op',
  action: 'task.create',
  decision: 'allowed',
  success: true,
  task_id: task.id,
  details: { title: task.title },
});

/** An audit log whose next `failures` appends fail as a full disk would. */
export class FlakyAudit extends MemoryAuditStore {
  failures = 0;
  override async append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.failures > 0) {
      this.failures--;
      throw new UnavailableError(
        'audit_write_failed',
        'Could not write the audit log (ENOSPC). The entry was not recorded.',
      );
    }
    return super.append(input);
  }
}
