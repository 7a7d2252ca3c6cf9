import type { Clock } from '../../common/domain/clock.js';
import { decideTransition, type TransitionDecision } from '../../workflow/domain/transition-decision.js';
import { type Workflow } from '../../workflow/domain/workflow.runtime.js';
import { mergedArtifacts } from './artifact-view.js';
import { recordBlocked } from './blocked-on.js';
import { type ArtifactSet, type Task } from './task.model.js';
import * as machine from './task-state-machine.js';

export interface TransitionStepParams {
  readonly agentId: string;
  readonly targetPhase: string;
  /** The phase the agent believes the task is in. */
  readonly fromPhase: string;
  readonly artifacts: ArtifactSet;
  readonly leaseMs: number;
  readonly clock: Clock;
}

export interface TransitionStep {
  readonly decision: TransitionDecision;
  /** The task after the step: moved, or blocked (`blocked_on`, maybe an approval request). */
  readonly next: Task;
  /** The submission was stored as the request an operator approves. */
  readonly approvalRequested: boolean;
}

/**
 * One transition request decided on the task as it is now: the gate (with the approvals the
 * task holds at this instant) and the write in one pure step, so the store can run it inside
 * its atomic mutation and nothing recorded in between is missed. Allowed: the task moves. Blocked
 * in strict mode by nothing but the approval: the submission is stored with an approval request
 * naming its digest, for an operator to decide on. Either way a blocked step records why in
 * `blocked_on`, stored in the same write as its audit entry.
 */
export function decideStep(workflow: Workflow, current: Task, params: TransitionStepParams): TransitionStep {
  machine.assertActiveHolder(current, params.agentId, params.clock.now());
  machine.assertPhase(current, params.fromPhase);
  const artifacts = mergedArtifacts(current, params.artifacts);
  const decision = decideTransition(workflow, {
    currentPhase: current.phase,
    targetPhase: params.targetPhase,
    artifacts,
    approvals: machine.approvedDigests(current, current.phase),
  });
  if (decision.allowed) {
    const next = machine.transition(
      current,
      {
        agentId: params.agentId,
        toPhase: decision.to,
        fromPhase: current.phase,
        artifacts: params.artifacts,
        leaseMs: params.leaseMs,
      },
      params.clock,
    );
    return { decision, next, approvalRequested: false };
  }
  const awaitsApproval =
    decision.mode === 'strict' &&
    decision.gate !== undefined &&
    decision.digest !== undefined &&
    decision.blockers.every((b) => b.check === 'approval_required');
  const blocked = (task: Task) =>
    recordBlocked(
      task,
      { toPhase: decision.to, gateId: decision.gate ?? null, blockers: decision.blockers },
      params.clock.now(),
    );
  if (!awaitsApproval) return { decision, next: blocked(current), approvalRequested: false };
  const requested = machine.requestApproval(
    current,
    {
      agentId: params.agentId,
      gateId: decision.gate!,
      digest: decision.digest!,
      artifactTypes: Object.keys(artifacts).sort(),
      artifacts: params.artifacts,
    },
    params.clock,
  );
  return { decision, next: blocked(requested), approvalRequested: requested !== current };
}
