import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { artifactDigest } from '../../workflow/domain/artifact-digest.js';
import { loadWorkflowText } from '../../workflow/domain/workflow.loader.js';
import { createTask } from './task-factory.js';
import { claim, recordApproval } from './task-state-machine.js';
import { decideStep } from './transition-step.js';
import type { Task } from './task.model.js';

// The approval gate is defined in the target phase: it is still decided on leaving A.
const wf = loadWorkflowText(
  `name: s
version: "1"
enforcement: { mode: strict }
phases:
  - id: A
    required_artifacts: [doc]
  - id: B
    gates:
      - { id: g, type: approval, blockers: [{ check: artifact_present, artifact: doc }] }
transitions:
  - { from: A, to: B, gate: g }
`,
  's.yaml',
);

describe('decideStep', () => {
  const clock = new ManualClock();
  let held: Task;
  const step = (task: Task, artifacts: Record<string, unknown>) =>
    decideStep(wf, task, {
      agentId: 'agent-1',
      targetPhase: 'B',
      fromPhase: 'A',
      artifacts,
      leaseMs: 60_000,
      clock,
    });

  beforeEach(() => {
    const task = createTask(
      {
        title: 't',
        workflow: { name: 's', version: '1' },
        initialPhase: 'A',
        maxAttempts: 3,
        createdBy: 'op',
      },
      { clock, ids: new SequentialIds('t') },
    );
    held = claim(task, { agentId: 'agent-1', leaseMs: 60_000 }, clock);
  });

  it('a submission blocked by a failing check records why in blocked_on, and nothing else', () => {
    const blocked = step(held, {});
    expect(blocked.decision.allowed).toBe(false);
    expect(blocked.next.blocked_on).toEqual({
      at: new Date(clock.now()).toISOString(),
      phase: 'A',
      to_phase: 'B',
      gate_id: 'g',
      blocker_details: blocked.decision.blockers,
    });
    expect({ ...blocked.next, blocked_on: undefined }).toEqual({ ...held, blocked_on: undefined });
    expect(blocked.approvalRequested).toBe(false);
  });

  it('a submission blocked only by the approval becomes the approval request; its approval lets it pass', () => {
    const asked = step(held, { doc: 'v1' });
    expect(asked).toMatchObject({ approvalRequested: true, decision: { allowed: false, gate: 'g' } });
    expect(asked.next.approval_requests).toEqual([
      expect.objectContaining({
        gate_id: 'g',
        phase: 'A',
        digest: artifactDigest({ doc: 'v1' }),
        artifacts: ['doc'],
      }),
    ]);
    expect(asked.next.artifacts).toEqual({ A: { doc: 'v1' } });
    expect(asked.next.blocked_on).toMatchObject({ gate_id: 'g', to_phase: 'B' });
    expect(asked.next.blocked_on!.blocker_details.map((b) => b.check)).toEqual(['approval_required']);
    // Sending the same again is no new request.
    expect(step(asked.next, { doc: 'v1' })).toMatchObject({ approvalRequested: false });
    const approved = recordApproval(asked.next, { gateId: 'g', decision: 'approved', by: 'lead' }, clock);
    // Another doc is not what was approved.
    const other = step(approved, { doc: 'v2' });
    expect(other).toMatchObject({ approvalRequested: true, decision: { allowed: false } });
    // The approved doc (stored, so nothing needs sending) passes.
    const passed = step(approved, {});
    expect(passed.decision.allowed).toBe(true);
    expect(passed.next).toMatchObject({ phase: 'B', approval_requests: [], blocked_on: null });
  });

  it('checks holder and phase on the task as given', () => {
    expect(() =>
      decideStep(wf, held, {
        agentId: 'agent-2',
        targetPhase: 'B',
        fromPhase: 'A',
        artifacts: {},
        leaseMs: 1,
        clock,
      }),
    ).toThrow(expect.objectContaining({ code: 'not_holder' }));
    expect(() =>
      decideStep(wf, held, {
        agentId: 'agent-1',
        targetPhase: 'B',
        fromPhase: 'B',
        artifacts: {},
        leaseMs: 1,
        clock,
      }),
    ).toThrow(expect.objectContaining({ code: 'phase_mismatch' }));
  });
});
