import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/domain/clock.js';
import { DomainError, ForbiddenError, NotFoundError } from '../common/domain/domain-error.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { type AuditEntryInput } from '../audit/domain/audit-entry.js';
import { type EventDraft } from '../events/domain/event.model.js';
import { EventBus } from '../events/event-bus.js';
import { AuditOutbox } from '../state/outbox/audit-outbox.js';
import { StateRepository } from '../state/state.repository.js';
import { decideCompletion } from '../workflow/domain/completion-decision.js';
import { type Finding } from '../workflow/domain/finding.model.js';
import { type TransitionDecision } from '../workflow/domain/transition-decision.js';
import { mergedArtifacts } from './domain/artifact-view.js';
import { recordBlocked } from './domain/blocked-on.js';
import { decideStep } from './domain/transition-step.js';
import { type Task } from './domain/task.model.js';
import * as machine from './domain/task-state-machine.js';
import { type ClaimTaskDto, type TransitionRequestDto } from './dto/agent-requests.dto.js';
import {
  type ClaimResponseDto,
  type CompleteResponseDto,
  type LeaseResponseDto,
  type TransitionResponseDto,
} from './dto/agent-responses.dto.js';
import { assertSameRequest, fingerprint, IDEMPOTENCY_TTL_MS, idempotencyKey } from './idempotency.js';
import { PhaseTokenService } from './phase-token.service.js';
import { TaskMetrics } from './task-metrics.js';
import { blockerView } from './blocker-view.js';
import { claimedTaskView, NO_APPROVERS, taskView } from './task-views.js';
import { TaskWorkflows } from './workflow-of-task.js';
import { type RequestScope } from '../common/http/request-scope.js';

/** What is kept for a replayed transition: the answer without its token (tokens never sit in state). */
interface StoredTransition {
  fingerprint: string;
  body: Omit<TransitionResponseDto, 'new_token'>;
  token_version: number;
}

/** The agent's side of a task: claim, move through phases, complete, keep or give up the lease. */
@Injectable()
export class AgentTasksService {
  constructor(
    private readonly state: StateRepository,
    private readonly workflows: TaskWorkflows,
    private readonly phaseTokens: PhaseTokenService,
    private readonly events: EventBus,
    private readonly metrics: TaskMetrics,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly outbox: AuditOutbox,
  ) {}

  private get leaseMs(): number {
    return this.config.values.tasks.lease_seconds * 1000;
  }

  private get backoffMs(): number {
    return this.config.values.tasks.retry_backoff_seconds * 1000;
  }

  /**
   * The task the agent already holds, resumed (a new process of the same agent after a crash:
   * `resumed: true`, a fresh phase token, the lease renewed as a heartbeat would), or else the
   * next eligible task; null when there is neither.
   */
  async claim(
    agent: AccessClaims,
    request: ClaimTaskDto,
    scope?: RequestScope | null,
  ): Promise<ClaimResponseDto | null> {
    if (request.agent_id !== undefined && request.agent_id !== agent.sub) {
      throw new ForbiddenError('agent_id_mismatch', 'agent_id must be the subject of the access token');
    }
    const resumed = await this.resume(agent, request, scope);
    if (resumed) return resumed;
    const events = (claimed: Task) => [
      this.events.draft('task.claimed', {
        task_id: claimed.id,
        actor: agent.sub,
        data: {
          phase: claimed.phase,
          attempt: claimed.attempts,
          resumed: claimed.history.some((h) => h.action === 'transitioned'),
        },
      }),
    ];
    const task = await this.state.claimNextEligible({
      agentId: agent.sub,
      capabilities: request.capabilities ?? [],
      leaseMs: this.leaseMs,
      now: this.clock.now(),
      // A task pinned to a workflow version no longer loaded could not be worked on: leave it queued.
      loadedWorkflows: this.workflows.loaded(),
      audit: (claimed) =>
        this.outbox.entry(
          {
            actor: agent.sub,
            role: agent.role,
            action: 'task.claim',
            decision: 'allowed',
            success: true,
            task_id: claimed.id,
            phase: claimed.phase,
            details: { attempt: claimed.attempts, capabilities: request.capabilities ?? [] },
          },
          scope,
        ),
      events,
    });
    this.metrics.claims.inc({ result: task ? 'claimed' : 'empty' });
    if (!task) return null;
    await Promise.all([this.outbox.deliver(), this.events.committed(events(task))]);
    return this.claimAnswer(task, false);
  }

  /**
   * Resumes the oldest task the agent (the access token's subject) holds with a live lease; null
   * when it holds none. Phase tokens issued before are stale afterwards: one valid token per task.
   */
  private async resume(
    agent: AccessClaims,
    request: ClaimTaskDto,
    scope: RequestScope | null | undefined,
  ): Promise<ClaimResponseDto | null> {
    const now = this.clock.now();
    const held = (await this.state.tasksHeldBy(agent.sub)).find(
      (t) => machine.holdsLiveLease(t, agent.sub, now) && this.workflows.isLoaded(t),
    );
    if (!held) return null;
    const events = (next: Task) => [
      this.events.draft('task.resumed', {
        task_id: next.id,
        actor: agent.sub,
        data: { phase: next.phase, attempt: next.attempts, lease_expires_at: next.lease_expires_at },
      }),
    ];
    let task: Task;
    try {
      task = await this.state.mutateTask(
        held.id,
        (current) => machine.resume(current, { agentId: agent.sub, leaseMs: this.leaseMs }, this.clock),
        {
          audit: (next) =>
            this.outbox.entry(
              {
                actor: agent.sub,
                role: agent.role,
                action: 'task.resume',
                decision: 'allowed',
                success: true,
                task_id: next.id,
                phase: next.phase,
                details: {
                  attempt: next.attempts,
                  capabilities: request.capabilities ?? [],
                  previous_lease_expires_at: held.lease_expires_at,
                  lease_expires_at: next.lease_expires_at,
                },
              },
              scope,
            ),
          events,
        },
      );
    } catch (err) {
      // Released, expired or cancelled since it was read: there is nothing to resume.
      if (err instanceof DomainError && err.kind === 'conflict') return null;
      throw err;
    }
    this.metrics.claims.inc({ result: 'resumed' });
    await Promise.all([this.outbox.deliver(), this.events.committed(events(task))]);
    return this.claimAnswer(task, true);
  }

  private claimAnswer(task: Task, resumed: boolean): ClaimResponseDto {
    const allowedTools = this.workflows.allowedTools(this.workflows.of(task), task.phase);
    return {
      task: claimedTaskView(task, NO_APPROVERS),
      phase_token: this.phaseTokens.issue(task, allowedTools),
      phase: task.phase,
      allowed_tools: [...allowedTools],
      lease_expires_at: task.lease_expires_at as string,
      resumed,
    };
  }

  async transition(
    agent: AccessClaims,
    request: TransitionRequestDto,
    idempotencyHeader?: string,
    scope?: RequestScope | null,
  ): Promise<TransitionResponseDto> {
    const task = await this.taskForToken(agent, request.task_id, request.phase_token, {
      checkVersion: false,
      scope,
    });
    const key = idempotencyKey('transition', agent.sub, idempotencyHeader);
    const print = fingerprint([
      request.task_id,
      request.current_phase,
      request.target_phase,
      request.artifacts ?? {},
    ]);
    const replay = key ? await this.replay(key, print, task) : null;
    if (replay) return replay;
    const claims = this.phaseTokens.verifyFor(request.phase_token, agent, task, { scope });

    const workflow = this.workflows.of(task);
    const submitted = request.artifacts ?? {};
    // Decided inside the store's atomic step, on the task as it is then: an approval or a
    // rejection recorded meanwhile is seen, never lost or half-applied (issue 14).
    let outcome:
      | { decision: TransitionDecision; requested: boolean; body: Omit<TransitionResponseDto, 'new_token'> }
      | undefined;
    const decide = (current: Task): Task => {
      const step = decideStep(workflow, current, {
        agentId: agent.sub,
        targetPhase: request.target_phase,
        fromPhase: request.current_phase,
        artifacts: submitted,
        leaseMs: this.leaseMs,
        clock: this.clock,
      });
      const { decision } = step;
      const body = decision.allowed
        ? {
            ...this.describe(decision, decision.to),
            allowed_tools: [...this.workflows.allowedTools(workflow, decision.to)],
          }
        : this.describe(decision, current.phase);
      outcome = { decision, requested: step.approvalRequested, body };
      return step.next;
    };
    let moved: Task;
    try {
      moved = await this.state.mutateTask(task.id, decide, {
        basis: task,
        expectedTokenVersion: claims.ver,
        // Every decision is stored with its entry: a blocked one may hand artifacts in.
        audit: () =>
          this.outbox.entry(
            transitionEntry(task, agent, outcome!.decision, submitted, outcome!.requested),
            scope,
          ),
        events: () => this.decisionEvents(task, agent, outcome!.decision),
        ...(key
          ? {
              remember: {
                key,
                expiresAt: this.clock.now() + IDEMPOTENCY_TTL_MS,
                response: (next: Task): StoredTransition => ({
                  fingerprint: print,
                  body: outcome!.body,
                  token_version: next.token_version,
                }),
              },
            }
          : {}),
      });
    } catch (err) {
      // A concurrent retry with the same key may have won the race: answer as it was answered.
      if (key && err instanceof DomainError && err.code === 'stale_token_version') {
        const raced = await this.replay(key, print, await this.getTask(task.id));
        if (raced) return raced;
      }
      throw err;
    }
    const { decision, body } = outcome!;
    this.observeDecision(decision);
    await Promise.all([
      this.outbox.deliver(),
      this.events.committed(this.decisionEvents(task, agent, decision)),
    ]);
    if (!decision.allowed) return { ...body, new_token: null };
    return { ...body, new_token: this.phaseTokens.issue(moved, body.allowed_tools ?? []) };
  }

  async complete(
    agent: AccessClaims,
    taskId: string,
    phaseToken: string,
    artifacts: Record<string, unknown> = {},
    scope?: RequestScope | null,
  ): Promise<CompleteResponseDto> {
    const task = await this.taskForToken(agent, taskId, phaseToken, { scope });
    const claims = this.phaseTokens.verifyFor(phaseToken, agent, task, { scope });
    machine.assertActiveHolder(task, agent.sub, this.clock.now());
    const workflow = this.workflows.of(task);
    const decision = decideCompletion(workflow, {
      phase: task.phase,
      artifacts: mergedArtifacts(task, artifacts),
    });
    const entry = {
      actor: agent.sub,
      role: agent.role,
      action: 'task.complete',
      decision: decision.allowed ? 'allowed' : 'blocked',
      success: decision.allowed,
      task_id: task.id,
      phase: task.phase,
      blockers: decision.blockers,
      details: { warnings: decision.warnings, artifacts: Object.keys(artifacts), mode: decision.mode },
    };
    if (!decision.allowed) {
      // Why it was refused is stored with the task (`blocked_on`), in one write with the entry.
      const blockedEvents = () => [
        this.events.draft('gate.blocked', {
          task_id: task.id,
          actor: agent.sub,
          data: { from: task.phase, to: 'completed', blockers: decision.blockers },
        }),
      ];
      await this.state.mutateTask(
        task.id,
        (current) => {
          machine.assertActiveHolder(current, agent.sub, this.clock.now());
          machine.assertPhase(current, task.phase);
          return recordBlocked(
            current,
            { toPhase: 'completed', gateId: null, blockers: decision.blockers },
            this.clock.now(),
          );
        },
        {
          expectedTokenVersion: claims.ver,
          audit: () => this.outbox.entry(entry, scope),
          events: blockedEvents,
        },
      );
      this.metrics.transitions.inc({ from: task.phase, to: 'completed', result: 'blocked' });
      await Promise.all([this.outbox.deliver(), this.events.committed(blockedEvents())]);
      return { completed: false, ...blockerView(decision.blockers), warnings: [...decision.warnings] };
    }
    const events = (next: Task) => [
      this.events.draft('task.completed', {
        task_id: next.id,
        actor: agent.sub,
        data: { phase: next.phase, attempts: next.attempts },
      }),
    ];
    const done = await this.state.mutateTask(
      task.id,
      (current) =>
        machine.complete(current, { agentId: agent.sub, artifacts, fromPhase: task.phase }, this.clock),
      { expectedTokenVersion: claims.ver, audit: () => this.outbox.entry(entry, scope), events },
    );
    this.metrics.transitions.inc({ from: task.phase, to: 'completed', result: 'allowed' });
    await Promise.all([this.outbox.deliver(), this.events.committed(events(done))]);
    return {
      completed: true,
      task: taskView(done, NO_APPROVERS),
      ...blockerView([]),
      warnings: [...decision.warnings],
    };
  }

  async heartbeat(
    agent: AccessClaims,
    taskId: string,
    phaseToken?: string,
    scope?: RequestScope | null,
  ): Promise<LeaseResponseDto> {
    const task = await this.heldTask(agent, taskId, phaseToken, scope);
    const next = await this.state.mutateTask(
      task.id,
      (current) => machine.heartbeat(current, { agentId: agent.sub, leaseMs: this.leaseMs }, this.clock),
      { basis: task },
    );
    // No event per heartbeat: they are frequent and would push real changes out of the history.
    return leaseView(next);
  }

  async release(
    agent: AccessClaims,
    taskId: string,
    phaseToken?: string,
    scope?: RequestScope | null,
  ): Promise<LeaseResponseDto> {
    const task = await this.heldTask(agent, taskId, phaseToken, scope);
    const events = (moved: Task) => [
      this.events.draft(moved.status === 'failed' ? 'task.failed' : 'task.released', {
        task_id: moved.id,
        actor: agent.sub,
        data: { phase: moved.phase, attempts: moved.attempts, status: moved.status },
      }),
    ];
    const next = await this.state.mutateTask(
      task.id,
      (current) =>
        machine.release(current, { agentId: agent.sub, retryBackoffMs: this.backoffMs }, this.clock),
      {
        basis: task,
        audit: (moved) => this.outbox.entry(attemptEndEntry(agent, 'task.release', moved, null), scope),
        events,
      },
    );
    await Promise.all([this.outbox.deliver(), this.events.committed(events(next))]);
    return leaseView(next);
  }

  async fail(
    agent: AccessClaims,
    taskId: string,
    reason: string,
    phaseToken?: string,
    scope?: RequestScope | null,
  ): Promise<LeaseResponseDto> {
    const task = await this.heldTask(agent, taskId, phaseToken, scope);
    const events = (moved: Task) => [
      this.events.draft('task.failed', {
        task_id: moved.id,
        actor: agent.sub,
        data: { reason, attempts: moved.attempts, final: moved.status === 'failed', status: moved.status },
      }),
    ];
    const next = await this.state.mutateTask(
      task.id,
      (current) =>
        machine.fail(current, { agentId: agent.sub, retryBackoffMs: this.backoffMs, reason }, this.clock),
      {
        basis: task,
        audit: (moved) => this.outbox.entry(attemptEndEntry(agent, 'task.fail', moved, reason), scope),
        events,
      },
    );
    await Promise.all([this.outbox.deliver(), this.events.committed(events(next))]);
    return leaseView(next);
  }

  /**
   * The task, held by the caller; a phase token, when given, must be current. Without one, a task
   * the agent never held answers exactly as an id that does not exist: its status (`not_holder`,
   * `task_terminal`…) would otherwise tell any agent which task ids exist.
   */
  private async heldTask(
    agent: AccessClaims,
    taskId: string,
    phaseToken: string | undefined,
    scope: RequestScope | null | undefined,
  ): Promise<Task> {
    if (phaseToken !== undefined) return this.taskForToken(agent, taskId, phaseToken, { scope });
    const task = await this.state.getTask(taskId);
    if (!task || !machine.everHeldBy(task, agent.sub)) throw unknownTask(taskId);
    return task;
  }

  /**
   * The task a phase token is presented for, the token checked before the task is looked up:
   * a token error never depends on whether the task exists, so no agent can probe task ids
   * (a token for another task is `phase_token_task_mismatch` whether `taskId` exists or not).
   */
  async taskForToken(
    agent: AccessClaims,
    taskId: string,
    phaseToken: string | undefined,
    { checkVersion = true, scope = null }: { checkVersion?: boolean; scope?: RequestScope | null } = {},
  ): Promise<Task> {
    this.phaseTokens.verifyForTaskId(phaseToken, agent, taskId, scope);
    const task = await this.getTask(taskId);
    this.phaseTokens.verifyFor(phaseToken, agent, task, { checkVersion, scope });
    return task;
  }

  async getTask(id: string): Promise<Task> {
    const task = await this.state.getTask(id);
    if (!task) throw unknownTask(id);
    return task;
  }

  private async replay(key: string, print: string, task: Task): Promise<TransitionResponseDto | null> {
    const record = await this.state.getIdempotencyRecord(key, this.clock.now());
    if (!record) return null;
    const stored = record.response as StoredTransition;
    assertSameRequest(stored.fingerprint, print);
    const body = withBlockerLines(stored.body);
    if (!body.allowed || !task.holder) return { ...body, new_token: null };
    // Same answer, with a token minted afresh for the version the original request produced.
    return {
      ...body,
      new_token: this.phaseTokens.issue(
        { ...task, phase: body.phase, token_version: stored.token_version },
        body.allowed_tools ?? [],
      ),
    };
  }

  private describe(decision: TransitionDecision, phase: string): Omit<TransitionResponseDto, 'new_token'> {
    return {
      allowed: decision.allowed,
      phase,
      ...blockerView(decision.blockers),
      warnings: [...decision.warnings],
      ...(decision.would_block.length > 0 ? { would_block: [...decision.would_block] } : {}),
      ...(decision.gate ? { gate: decision.gate } : {}),
      mode: decision.mode,
    };
  }

  /** Metrics of one decision (its audit entry and events are stored with it, before). */
  private observeDecision(decision: TransitionDecision): void {
    const result = decision.allowed ? 'allowed' : 'blocked';
    this.metrics.transitions.inc({ from: decision.from, to: decision.to, result });
    if (decision.gate) {
      this.metrics.gateEvaluations.inc({
        gate: decision.gate,
        result: decision.allowed ? 'passed' : 'blocked',
      });
    }
  }

  /** The events of one transition decision: its gate's outcome, then the move when allowed. */
  private decisionEvents(task: Task, agent: AccessClaims, decision: TransitionDecision): EventDraft[] {
    const about = { task_id: task.id, actor: agent.sub };
    const drafts: EventDraft[] = [];
    if (decision.gate) {
      drafts.push(
        this.events.draft(decision.allowed ? 'gate.passed' : 'gate.blocked', {
          ...about,
          data: {
            gate: decision.gate,
            from: decision.from,
            to: decision.to,
            blockers: decision.blockers,
            warnings: decision.warnings,
            ...(decision.digest ? { digest: decision.digest } : {}),
          },
        }),
      );
    } else if (!decision.allowed) {
      drafts.push(
        this.events.draft('gate.blocked', {
          ...about,
          data: { from: decision.from, to: decision.to, blockers: decision.blockers },
        }),
      );
    }
    if (decision.allowed) {
      drafts.push(
        this.events.draft('task.transitioned', {
          ...about,
          data: { from: decision.from, to: decision.to, gate: decision.gate ?? null, mode: decision.mode },
        }),
      );
    }
    return drafts;
  }
}

/** A stored answer in today's shape: answers stored before `blocker_details` held the findings in `blockers`. */
function withBlockerLines(
  body: Omit<TransitionResponseDto, 'new_token'>,
): Omit<TransitionResponseDto, 'new_token'> {
  if (Array.isArray(body.blocker_details)) return body;
  return { ...body, ...blockerView((body.blockers ?? []) as unknown as Finding[]) };
}

function transitionEntry(
  task: Task,
  agent: AccessClaims,
  decision: TransitionDecision,
  submitted: Record<string, unknown>,
  approvalRequested: boolean,
): AuditEntryInput {
  return {
    actor: agent.sub,
    role: agent.role,
    action: 'task.transition',
    decision: decision.allowed ? 'allowed' : 'blocked',
    success: decision.allowed,
    task_id: task.id,
    phase: decision.from,
    blockers: decision.blockers,
    details: {
      to: decision.to,
      gate: decision.gate ?? null,
      mode: decision.mode,
      warnings: decision.warnings,
      would_block: decision.would_block,
      artifacts: Object.keys(submitted),
      ...(decision.digest ? { digest: decision.digest } : {}),
      ...(approvalRequested ? { approval_requested: true } : {}),
    },
  };
}

function attemptEndEntry(
  agent: AccessClaims,
  action: string,
  task: Task,
  reason: string | null,
): AuditEntryInput {
  return {
    actor: agent.sub,
    role: agent.role,
    action,
    decision: 'allowed',
    success: true,
    task_id: task.id,
    phase: task.phase,
    reason,
    details: { status: task.status, attempts: task.attempts, retry_not_before: task.retry_not_before },
  };
}

function leaseView(task: Task): LeaseResponseDto {
  return {
    task_id: task.id,
    status: task.status,
    phase: task.phase,
    lease_expires_at: task.lease_expires_at,
    retry_not_before: task.retry_not_before,
    attempts: task.attempts,
    max_attempts: task.max_attempts,
  };
}

function unknownTask(id: string): NotFoundError {
  return new NotFoundError('task_not_found', `no task with id '${id}'`);
}
