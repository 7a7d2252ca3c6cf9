import { Injectable } from '@nestjs/common';
import { WorkflowRegistry } from '../workflow/workflow.registry.js';
import { type Workflow } from '../workflow/domain/workflow.runtime.js';
import { type Task, type WorkflowRef } from './domain/task.model.js';

/** The workflow version a task was pinned to at creation, and facts about its phases. */
@Injectable()
export class TaskWorkflows {
  constructor(private readonly registry: WorkflowRegistry) {}

  of(task: Task): Workflow {
    return this.registry.get(task.workflow.name, task.workflow.version);
  }

  /** False when the version the task is pinned to is no longer loaded (it cannot be worked on). */
  isLoaded(task: Task): boolean {
    return this.registry.has(task.workflow.name, task.workflow.version);
  }

  /** Every loaded workflow version: the tasks a claim here may hand out are pinned to one of them. */
  loaded(): WorkflowRef[] {
    return this.registry.list().map((w) => ({ name: w.name, version: w.version }));
  }

  /**
   * The approvers of an approval gate of the task's workflow, as written (empty: any operator or
   * admin); empty for another kind of gate, an unknown one, or a workflow no longer loaded.
   */
  approversOf(task: Task, gateId: string): readonly string[] {
    if (!this.isLoaded(task)) return [];
    const gate = this.of(task).runtime.gates.get(gateId);
    return gate?.spec.type === 'approval' ? gate.spec.approvers : [];
  }

  allowedTools(workflow: Workflow, phase: string): readonly string[] {
    return workflow.runtime.phases.get(phase)?.allowed_tools ?? [];
  }
}
