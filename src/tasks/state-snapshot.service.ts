import { Injectable } from '@nestjs/common';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { artifactDigest } from '../workflow/domain/artifact-digest.js';
import { decideTransition } from '../workflow/domain/transition-decision.js';
import { blockerView } from './blocker-view.js';
import { AgentTasksService } from './agent-tasks.service.js';
import { mergedArtifacts } from './domain/artifact-view.js';
import { approvedDigests } from './domain/task-state-machine.js';
import { type StateSnapshotDto } from './dto/agent-responses.dto.js';
import { PhaseTokenService } from './phase-token.service.js';
import { StateRepository } from '../state/state.repository.js';
import { TaskWorkflows } from './workflow-of-task.js';
import { type RequestScope } from '../common/http/request-scope.js';

/**
 * What an agent needs to know about its task now. Bounded by the task and its direct
 * dependencies, never by the size of the queue.
 */
@Injectable()
export class StateSnapshotService {
  constructor(
    private readonly tasks: AgentTasksService,
    private readonly state: StateRepository,
    private readonly phaseTokens: PhaseTokenService,
    private readonly workflows: TaskWorkflows,
  ) {}

  async snapshot(
    agent: AccessClaims,
    phaseToken: string | undefined,
    scope?: RequestScope | null,
  ): Promise<StateSnapshotDto> {
    const task = await this.tasks.getTask(this.phaseTokens.verifySignature(phaseToken).task_id);
    this.phaseTokens.verifyFor(phaseToken, agent, task, { scope });
    const workflow = this.workflows.of(task);
    const phase = workflow.runtime.phases.get(task.phase);
    const dependencies = await this.state.getTasks(task.dependencies);
    const approvals = approvedDigests(task, task.phase);
    const outgoing = workflow.transitions.filter((t) => t.from === task.phase);
    const artifacts = mergedArtifacts(task);
    const digest = artifactDigest(artifacts);
    const first = outgoing[0];
    const blockers = first
      ? [
          ...decideTransition(workflow, {
            currentPhase: task.phase,
            targetPhase: first.to,
            artifacts,
            approvals,
            mode: 'strict',
          }).blockers,
        ]
      : [];
    return {
      task_id: task.id,
      title: task.title,
      status: task.status,
      current_phase: task.phase,
      workflow: { ...task.workflow },
      allowed_tools: [...(phase?.allowed_tools ?? [])],
      forbidden_tools: [...(phase?.forbidden_tools ?? [])],
      required_artifacts: (phase?.required_artifacts ?? []).map((a) => a.type),
      artifacts_present: Object.keys(artifacts),
      next_transitions: outgoing.map((t) => {
        const gate = t.gate ? workflow.runtime.gates.get(t.gate) : undefined;
        return {
          to: t.to,
          ...(t.gate ? { gate: t.gate } : {}),
          ...(gate ? { gate_type: gate.spec.type } : {}),
          ...(gate?.spec.type === 'approval' ? { approved: approvals.get(gate.spec.id) === digest } : {}),
        };
      }),
      task_dependencies: dependencies.map((d) => ({ id: d.id, status: d.status })),
      completed_tasks: dependencies.filter((d) => d.status === 'completed').map((d) => d.id),
      ...blockerView(blockers),
      lease_expires_at: task.lease_expires_at,
      attempts: task.attempts,
      token_version: task.token_version,
    };
  }
}
