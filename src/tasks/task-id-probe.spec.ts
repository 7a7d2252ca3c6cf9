import { DomainError } from '../common/domain/domain-error.js';
import { type PhaseTokenService } from './phase-token.service.js';
import { claimsOf, inMemoryTasks, type InMemoryTasks } from './testing/in-memory-tasks.js';

const WORKFLOW = `name: plain
version: "1"
phases:
  - id: PLAN
  - id: BUILD
transitions:
  - { from: PLAN, to: BUILD }
`;

const phaseTokens = { issue: () => 'phase-token' } as unknown as PhaseTokenService;

/** What heartbeat, release and fail answer without a phase token: code and message. */
async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
}

describe('heartbeat, release and fail without a phase token cannot probe task ids (issue 16, item 9)', () => {
  let t: InMemoryTasks;
  const holder = claimsOf('agent-1', 'agent');
  const prober = claimsOf('agent-2', 'agent');
  const lead = claimsOf('lead', 'operator');

  beforeEach(() => {
    t = inMemoryTasks(WORKFLOW, phaseTokens);
  });

  it('a task another agent holds, a queued one and a finished one answer like an id that does not exist', async () => {
    const held = await t.operators.create(lead, { title: 'held' });
    await t.agents.claim(holder, {});
    const queued = await t.operators.create(lead, { title: 'queued' });
    const cancelled = await t.operators.create(lead, { title: 'cancelled' });
    await t.operators.cancel(lead, cancelled.id, 'not needed');
    for (const call of [
      (id: string) => t.agents.heartbeat(prober, id),
      (id: string) => t.agents.release(prober, id),
      (id: string) => t.agents.fail(prober, id, 'probe'),
    ]) {
      const unknown = await refusal(call('no-such-task'));
      expect(unknown).toBe("task_not_found: no task with id 'no-such-task'");
      for (const task of [held, queued, cancelled]) {
        expect(await refusal(call(task.id))).toBe(`task_not_found: no task with id '${task.id}'`);
      }
    }
    expect((await t.state.getTask(held.id))?.holder).toBe('agent-1');
  });

  it('the agent that held a task still gets the precise reason', async () => {
    const task = await t.operators.create(lead, { title: 'mine' });
    await t.agents.claim(holder, {});
    await t.agents.release(holder, task.id);
    expect(await refusal(t.agents.heartbeat(holder, task.id))).toMatch(/^task_not_claimed: /);
  });
});
