import { Registry } from 'prom-client';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { MemoryAuditStore } from '../audit/memory-audit.store.js';
import { ManualClock } from '../common/domain/clock.js';
import { SequentialIds } from '../common/domain/ids.js';
import { AppConfig } from '../config/app-config.js';
import { OrchestratorConfig } from '../config/config.schema.js';
import { EventBus } from '../events/event-bus.js';
import { MemoryEventSequence } from '../events/sequence/memory-event-sequence.js';
import { MemoryStateRepository } from '../state/memory-state.repository.js';
import { AuditOutbox } from '../state/outbox/audit-outbox.js';
import { type MutateOptions, type TaskMutation } from '../state/state.repository.js';
import { loadWorkflowText } from '../workflow/domain/workflow.loader.js';
import { type WorkflowRegistry } from '../workflow/workflow.registry.js';
import { AgentTasksService } from './agent-tasks.service.js';
import { type Task } from './domain/task.model.js';
import { OperatorTasksService } from './operator-tasks.service.js';
import { type PhaseTokenService } from './phase-token.service.js';
import { TaskMetrics } from './task-metrics.js';
import { TaskWorkflows } from './workflow-of-task.js';

const WORKFLOW = `name: plain
version: "1"
phases:
  - id: PLAN
    allowed_tools: [read_files]
  - id: BUILD
transitions:
  - { from: PLAN, to: BUILD }
`;

/** Runs `interleave` once, right before the next `mutateTask` (another request in between). */
class InterleavingStore extends MemoryStateRepository {
  interleave: (() => Promise<unknown>) | null = null;

  override async mutateTask(id: string, mutation: TaskMutation, options?: MutateOptions): Promise<Task> {
    const between = this.interleave;
    this.interleave = null;
    if (between) await between();
    return super.mutateTask(id, mutation, options);
  }
}

const claims = (sub: string, role: AccessClaims['role']): AccessClaims => ({
  typ: 'access',
  iss: 'test',
  sub,
  role,
  iat: 0,
  exp: 0,
  jti: sub,
  orig_iat: 0,
});

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
    clock = new ManualClock();
    config = new AppConfig(new OrchestratorConfig(), {}, null, process.cwd());
    const wf = loadWorkflowText(WORKFLOW, 'plain.yaml');
    const registry = { get: () => wf, getDefault: () => wf, has: () => true } as unknown as WorkflowRegistry;
    const workflows = new TaskWorkflows(registry);
    state = new InterleavingStore();
    audit = new MemoryAuditStore({ clock });
    const trail = new AuditTrail(audit, clock);
    const events = new EventBus(config, clock, new MemoryEventSequence(clock));
    const outbox = new AuditOutbox(state, audit);
    const metrics = new TaskMetrics(new Registry(), state);
    agents = new AgentTasksService(
      state,
      workflows,
      phaseTokens,
      events,
      trail,
      metrics,
      config,
      clock,
      outbox,
    );
    operators = new OperatorTasksService(
      state,
      registry,
      workflows,
      events,
      config,
      clock,
      new SequentialIds('task'),
      outbox,
      trail,
    );
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
