import { type MemoryAuditStore } from '../audit/memory-audit.store.js';
import { type ManualClock } from '../common/domain/clock.js';
import { type AppConfig } from '../config/app-config.js';
import { type AgentTasksService } from './agent-tasks.service.js';
import { type Task } from './domain/task.model.js';
import { type OperatorTasksService } from './operator-tasks.service.js';
import { type PhaseTokenService } from './phase-token.service.js';
import { claimsOf, inMemoryTasks, type InterleavingStore } from './testing/in-memory-tasks.js';

const WORKFLOW = `name: plain
version: "1"
phases:
  - id: PLAN
    allowed_tools: [read_files]
  - id: BUILD
transitions:
  - { from: PLAN, to: BUILD }
`;

const claims = claimsOf;

/** The token names the version it was issued for, so staleness is visible in the answers. */
const phaseTokens = {
  issue: (task: Task) => `pt-${task.id}-v${task.token_version}`,
} as unknown as PhaseTokenService;

describe('claim resumes the held task (issue 15)', () => {
  let clock: ManualClock;
  let state: InterleavingStore;
  let agents: AgentTasksService;
  let operators: OperatorTasksService;
  let audit: MemoryAuditStore;
  let config: AppConfig;
  const agent = claims('agent-1', 'agent');
  const lead = claims('lead', 'operator');
  const actions = async (taskId: string) =>
    (await audit.query({ task_id: taskId })).entries.map((e) => e.action).reverse();

  beforeEach(() => {
    ({ clock, state, agents, operators, audit, config } = inMemoryTasks(WORKFLOW, phaseTokens));
  });

  it('answers with the held task, a token for a new version and a renewed lease, audited once', async () => {
    const held = await operators.create(lead, { title: 'held' });
    await operators.create(lead, { title: 'next' });
    const first = await agents.claim(agent, {});
    clock.advance(10_000);
    const again = await agents.claim(agent, { capabilities: ['ts'] });
    expect(again).toMatchObject({
      task: { id: held.id, attempts: 1 },
      resumed: true,
      phase: 'PLAN',
      allowed_tools: ['read_files'],
      phase_token: `pt-${held.id}-v2`,
    });
    expect(first).toMatchObject({ resumed: false, phase_token: `pt-${held.id}-v1` });
    expect(Date.parse(again!.lease_expires_at) - Date.parse(first!.lease_expires_at)).toBe(10_000);
    expect(await actions(held.id)).toEqual(['task.create', 'task.claim', 'task.resume']);
    expect(await state.pendingAudit()).toEqual([]); // delivered through the outbox, not written twice
  });

  it('claims the next task when the held one was released between the read and the resume', async () => {
    const held = await operators.create(lead, { title: 'held' });
    const next = await operators.create(lead, { title: 'next' });
    await agents.claim(agent, {});
    state.interleave = () => agents.release(agent, held.id);
    const answer = await agents.claim(agent, {});
    expect(answer).toMatchObject({ task: { id: next.id }, resumed: false });
    expect(await actions(held.id)).not.toContain('task.resume');
  });

  it('does not resume a lease that ran out before the sweeper ended it', async () => {
    const held = await operators.create(lead, { title: 'held' });
    await agents.claim(agent, {});
    clock.advance(config.values.tasks.lease_seconds * 1000);
    await expect(agents.claim(agent, {})).resolves.toBeNull();
    expect((await state.getTask(held.id))?.token_version).toBe(1);
    expect(await actions(held.id)).not.toContain('task.resume');
  });

  it('never resumes for another subject', async () => {
    const held = await operators.create(lead, { title: 'held' });
    await agents.claim(agent, {});
    await expect(agents.claim(claims('agent-2', 'agent'), {})).resolves.toBeNull();
    expect((await state.getTask(held.id))?.holder).toBe('agent-1');
    expect(await actions(held.id)).not.toContain('task.resume');
  });
});
