import { type AccessClaims, type PhaseClaims } from '../auth/domain/token-claims.js';
import { type MemoryAuditStore } from '../audit/memory-audit.store.js';
import { type AgentTasksService } from './agent-tasks.service.js';
import { type Task } from './domain/task.model.js';
import { type OperatorTasksService } from './operator-tasks.service.js';
import { type PhaseTokenService } from './phase-token.service.js';
import { claimsOf, inMemoryTasks, type InterleavingStore } from './testing/in-memory-tasks.js';

const WORKFLOW = `name: gated
version: "1"
enforcement: { mode: strict }
phases:
  - id: PLAN
    required_artifacts: [plan]
    gates:
      - { id: plan_ok, type: approval, approvers: [lead], blockers: [] }
  - id: BUILD
transitions:
  - { from: PLAN, to: BUILD, gate: plan_ok }
`;

const claims = claimsOf;

/** Phase tokens are not what this spec is about: any token is the holder's current one. */
const phaseTokens = {
  verifyFor: (_token: string, agent: AccessClaims, task: Task): PhaseClaims => ({
    typ: 'phase',
    iss: 'test',
    sub: agent.sub,
    iat: 0,
    exp: 0,
    jti: 'p',
    task_id: task.id,
    phase: task.phase,
    allowed_tools: [],
    ver: task.token_version,
  }),
  verifyForTaskId: () => undefined,
  issue: () => 'phase-token',
} as unknown as PhaseTokenService;

describe('a gate decision racing a transition (decided in one atomic step)', () => {
  let state: InterleavingStore;
  let agents: AgentTasksService;
  let operators: OperatorTasksService;
  let audit: MemoryAuditStore;
  const agent = claims('agent-1', 'agent');
  const lead = claims('lead', 'operator');
  const plan = { plan: { title: 'the plan' } };

  beforeEach(() => {
    ({ state, agents, operators, audit } = inMemoryTasks(WORKFLOW, phaseTokens));
  });

  async function heldTaskAwaitingApproval(): Promise<string> {
    const task = await operators.create(lead, { title: 'race' });
    const claimed = await agents.claim(agent, {});
    expect(claimed?.task.id).toBe(task.id);
    const move = () => transition(task.id);
    const first = await move();
    expect(first).toMatchObject({ allowed: false, blocker_details: [{ check: 'approval_required' }] });
    return task.id;
  }

  const transition = (taskId: string) =>
    agents.transition(agent, {
      task_id: taskId,
      current_phase: 'PLAN',
      target_phase: 'BUILD',
      phase_token: 'phase-token',
      artifacts: plan,
    });

  it('a rejection recorded between the gate check and the write blocks the transition', async () => {
    const id = await heldTaskAwaitingApproval();
    await operators.decideGate(lead, id, 'plan_ok', 'approved', {});
    // The transition reads the task (approved), then the lead rejects, then it writes.
    state.interleave = () =>
      operators.decideGate(lead, id, 'plan_ok', 'rejected', { comment: 'on second look, no' });
    const answer = await transition(id);
    expect(answer).toMatchObject({ allowed: false, blocker_details: [{ check: 'approval_required' }] });
    const task = await state.getTask(id);
    expect(task).toMatchObject({ phase: 'PLAN' });
    expect(task?.approvals.map((a) => a.decision)).toEqual(['approved', 'rejected']);
    // The audit says what happened: blocked, after the rejection.
    const actions = (await audit.query({ task_id: id })).entries.map((e) => `${e.action}:${e.decision}`);
    expect(actions.slice(0, 2)).toEqual(['task.transition:blocked', 'task.reject:allowed']);
  });

  it('an approval recorded between the gate check and the write is not lost: the transition passes', async () => {
    const id = await heldTaskAwaitingApproval();
    state.interleave = () => operators.decideGate(lead, id, 'plan_ok', 'approved', {});
    const answer = await transition(id);
    expect(answer).toMatchObject({ allowed: true, phase: 'BUILD', new_token: 'phase-token' });
    const task = await state.getTask(id);
    expect(task).toMatchObject({ phase: 'BUILD', approval_requests: [] });
    expect(task?.history.map((h) => h.action)).toEqual([
      'created',
      'claimed',
      'approval_requested',
      'approval_recorded',
      'transitioned',
    ]);
  });

  it('an approval racing a new submission binds to what was there when it was recorded', async () => {
    const id = await heldTaskAwaitingApproval();
    const before = (await state.getTask(id))!.approval_requests![0]!.digest;
    // The lead reviewed `before`; the agent submits other artifacts first; the approval naming
    // `before` is then refused, and one without a digest would bind to the new ones only.
    await agents.transition(agent, {
      task_id: id,
      current_phase: 'PLAN',
      target_phase: 'BUILD',
      phase_token: 'phase-token',
      artifacts: { plan: { title: 'a different plan' } },
    });
    await expect(
      operators.decideGate(lead, id, 'plan_ok', 'approved', { digest: before }),
    ).rejects.toMatchObject({
      code: 'approval_digest_mismatch',
    });
    expect((await state.getTask(id))?.approvals).toEqual([]);
    expect(await transition(id)).toMatchObject({ allowed: false });
  });
});
