import { Registry } from 'prom-client';
import { type AccessClaims } from '../../auth/domain/token-claims.js';
import { AuditTrail } from '../../audit/audit-trail.js';
import { MemoryAuditStore } from '../../audit/memory-audit.store.js';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { AppConfig } from '../../config/app-config.js';
import { OrchestratorConfig } from '../../config/config.schema.js';
import { NoEventLog } from '../../events/log/event-log.js';
import { EventBus } from '../../events/event-bus.js';
import { LocalEventPipeline } from '../../events/pipeline/local-event-pipeline.js';
import { MemoryEventSequence } from '../../events/sequence/memory-event-sequence.js';
import { MemoryStateRepository } from '../../state/memory-state.repository.js';
import { AuditOutbox } from '../../state/outbox/audit-outbox.js';
import { type MutateOptions, type TaskMutation } from '../../state/state.repository.js';
import { loadWorkflowText } from '../../workflow/domain/workflow.loader.js';
import { type WorkflowRegistry } from '../../workflow/workflow.registry.js';
import { AgentTasksService } from '../agent-tasks.service.js';
import { type Task } from '../domain/task.model.js';
import { OperatorTasksService } from '../operator-tasks.service.js';
import { type PhaseTokenService } from '../phase-token.service.js';
import { TaskMetrics } from '../task-metrics.js';
import { TaskWorkflows } from '../workflow-of-task.js';

/** Runs `interleave` once, right before the next `mutateTask` (another request in between). */
export class InterleavingStore extends MemoryStateRepository {
  interleave: (() => Promise<unknown>) | null = null;

  override async mutateTask(id: string, mutation: TaskMutation, options?: MutateOptions): Promise<Task> {
    const between = this.interleave;
    this.interleave = null;
    if (between) await between();
    return super.mutateTask(id, mutation, options);
  }
}

/** Access-token claims of a subject with a role, as the guard would pass them on. */
export const claimsOf = (sub: string, role: AccessClaims['role']): AccessClaims => ({
  typ: 'access',
  iss: 'test',
  sub,
  role,
  iat: 0,
  exp: 0,
  jti: sub,
  orig_iat: 0,
});

export interface InMemoryTasks {
  clock: ManualClock;
  config: AppConfig;
  state: InterleavingStore;
  audit: MemoryAuditStore;
  agents: AgentTasksService;
  operators: OperatorTasksService;
}

/**
 * The agent and operator task services wired in memory, over one workflow (YAML), with the
 * phase-token service the spec gives: for service-level specs of races and audit counts.
 */
export function inMemoryTasks(workflowYaml: string, phaseTokens: PhaseTokenService): InMemoryTasks {
  const clock = new ManualClock();
  const config = new AppConfig(new OrchestratorConfig(), {}, null, process.cwd());
  const wf = loadWorkflowText(workflowYaml, 'spec.yaml');
  const registry = {
    get: () => wf,
    getDefault: () => wf,
    has: () => true,
    list: () => [wf],
  } as unknown as WorkflowRegistry;
  const workflows = new TaskWorkflows(registry);
  const state = new InterleavingStore();
  const audit = new MemoryAuditStore({ clock });
  const trail = new AuditTrail(audit, clock);
  const events = new EventBus(
    config,
    clock,
    new LocalEventPipeline(new MemoryEventSequence(clock), new NoEventLog()),
  );
  const metrics = new TaskMetrics(new Registry(), state);
  const outbox = new AuditOutbox(state, audit);
  const agents = new AgentTasksService(state, workflows, phaseTokens, events, metrics, config, clock, outbox);
  const operators = new OperatorTasksService(
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
  return { clock, config, state, audit, agents, operators };
}
