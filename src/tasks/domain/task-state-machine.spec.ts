import { ManualClock } from '../../common/domain/clock.js';
import { ConflictError, DomainError } from '../../common/domain/domain-error.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createTask } from './task-factory.js';
import {
  cancel,
  claim,
  complete,
  expireLease,
  fail,
  heartbeat,
  holdsLiveLease,
  approvedDigests,
  recordApproval,
  requestApproval,
  release,
  requeue,
  resume,
  transition,
} from './task-state-machine.js';
import { recordBlocked } from './blocked-on.js';
import type { Task } from './task.model.js';

const LEASE = 60_000;
const BACKOFF = 30_000;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return `${error.kind}:${error.code}`;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('task state machine', () => {
  let clock: ManualClock;
  let task: Task;

  beforeEach(() => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    task = createTask(
      {
        title: 'T',
        workflow: { name: 'agent', version: '1' },
        initialPhase: 'PLAN',
        maxAttempts: 2,
        createdBy: 'op',
      },
      { clock, ids: new SequentialIds('task') },
    );
  });

  const claimed = () => claim(task, { agentId: 'agent-1', leaseMs: LEASE }, clock);

  describe('claim', () => {
    it('starts an attempt: holder, lease, attempts+1, token_version+1, history', () => {
      clock.advance(1000);
      const next = claimed();
      expect(next).toMatchObject({
        status: 'claimed',
        holder: 'agent-1',
        attempts: 1,
        token_version: 1,
        lease_expires_at: '2026-01-01T00:01:01.000Z',
        updated_at: '2026-01-01T00:00:01.000Z',
      });
      expect(next.history.at(-1)).toMatchObject({
        action: 'claimed',
        actor: 'agent-1',
        from_status: 'queued',
        to_status: 'claimed',
      });
      expect(task.status).toBe('queued'); // the input is untouched
    });

    it('refuses a task that is not queued, and a terminal one', () => {
      const held = claimed();
      expect(codeOf(() => claim(held, { agentId: 'agent-2', leaseMs: LEASE }, clock))).toBe(
        'conflict:task_not_queued',
      );
      const cancelled = cancel(task, { actor: 'op' }, clock);
      expect(codeOf(() => claim(cancelled, { agentId: 'a', leaseMs: LEASE }, clock))).toBe(
        'conflict:task_terminal',
      );
    });

    it('refuses a lease that is not a positive whole number of ms', () => {
      expect(codeOf(() => claim(task, { agentId: 'a', leaseMs: 0 }, clock))).toBe(
        'invalid_input:invalid_lease',
      );
      expect(codeOf(() => claim(task, { agentId: 'a', leaseMs: 1.5 }, clock))).toBe(
        'invalid_input:invalid_lease',
      );
    });
  });

  describe('resume', () => {
    it('renews the lease like a heartbeat and bumps the token version, nothing else', () => {
      const held = claimed();
      clock.advance(50_000);
      const next = resume(held, { agentId: 'agent-1', leaseMs: LEASE }, clock);
      expect(next).toMatchObject({
        status: 'claimed',
        holder: 'agent-1',
        phase: held.phase,
        attempts: held.attempts,
        token_version: held.token_version + 1,
        lease_expires_at: '2026-01-01T00:01:50.000Z',
      });
      expect(next.history).toHaveLength(held.history.length);
    });

    it('holdsLiveLease: only the holder, only before the lease runs out', () => {
      const held = claimed();
      expect(holdsLiveLease(held, 'agent-1', clock.now())).toBe(true);
      expect(holdsLiveLease(held, 'agent-2', clock.now())).toBe(false);
      expect(holdsLiveLease(task, 'agent-1', clock.now())).toBe(false);
      expect(holdsLiveLease(held, 'agent-1', clock.now() + LEASE)).toBe(false);
    });

    it('is refused to another agent, on a queued task and after the lease passed', () => {
      const held = claimed();
      expect(codeOf(() => resume(held, { agentId: 'agent-2', leaseMs: LEASE }, clock))).toBe(
        'conflict:not_holder',
      );
      expect(codeOf(() => resume(task, { agentId: 'agent-1', leaseMs: LEASE }, clock))).toMatch(/^conflict:/);
      clock.advance(LEASE);
      expect(codeOf(() => resume(held, { agentId: 'agent-1', leaseMs: LEASE }, clock))).toBe(
        'conflict:lease_expired',
      );
    });
  });

  describe('heartbeat', () => {
    it('extends the lease without bumping the token version or adding history', () => {
      const held = claimed();
      clock.advance(50_000);
      const next = heartbeat(held, { agentId: 'agent-1', leaseMs: LEASE }, clock);
      expect(next.lease_expires_at).toBe('2026-01-01T00:01:50.000Z');
      expect(next.token_version).toBe(held.token_version);
      expect(next.history).toHaveLength(held.history.length);
    });

    it('is refused to others, on unclaimed tasks and after the lease passed', () => {
      const held = claimed();
      expect(codeOf(() => heartbeat(held, { agentId: 'agent-2', leaseMs: LEASE }, clock))).toBe(
        'conflict:not_holder',
      );
      expect(codeOf(() => heartbeat(task, { agentId: 'agent-1', leaseMs: LEASE }, clock))).toBe(
        'conflict:task_not_claimed',
      );
      clock.advance(LEASE);
      expect(codeOf(() => heartbeat(held, { agentId: 'agent-1', leaseMs: LEASE }, clock))).toBe(
        'conflict:lease_expired',
      );
    });
  });

  describe('transition', () => {
    it('moves phase, stores the left phase artifacts merged by type, bumps the version', () => {
      const held = claimed();
      const first = transition(
        held,
        { agentId: 'agent-1', toPhase: 'TDD', fromPhase: 'PLAN', artifacts: { plan: { steps: [1] } } },
        clock,
      );
      expect(first).toMatchObject({
        phase: 'TDD',
        token_version: 2,
        artifacts: { PLAN: { plan: { steps: [1] } } },
      });
      expect(first.history.at(-1)).toMatchObject({
        action: 'transitioned',
        from_phase: 'PLAN',
        to_phase: 'TDD',
      });
      const back = transition(
        first,
        { agentId: 'agent-1', toPhase: 'PLAN', artifacts: { tests: 'x' } },
        clock,
      );
      const again = transition(
        back,
        { agentId: 'agent-1', toPhase: 'TDD', artifacts: { notes: 'n' } },
        clock,
      );
      expect(again.artifacts).toEqual({ PLAN: { plan: { steps: [1] }, notes: 'n' }, TDD: { tests: 'x' } });
    });

    it('renews the lease when asked', () => {
      const held = claimed();
      clock.advance(10_000);
      const next = transition(held, { agentId: 'agent-1', toPhase: 'TDD', leaseMs: LEASE }, clock);
      expect(next.lease_expires_at).toBe('2026-01-01T00:01:10.000Z');
    });

    it('refuses a wrong current phase, a non-holder and a queued task with precise codes', () => {
      const held = claimed();
      expect(
        codeOf(() => transition(held, { agentId: 'agent-1', toPhase: 'TDD', fromPhase: 'IMPL' }, clock)),
      ).toBe('conflict:phase_mismatch');
      expect(codeOf(() => transition(held, { agentId: 'x', toPhase: 'TDD' }, clock))).toBe(
        'conflict:not_holder',
      );
      expect(codeOf(() => transition(task, { agentId: 'agent-1', toPhase: 'TDD' }, clock))).toBe(
        'conflict:task_not_claimed',
      );
    });
  });

  describe('release, fail and lease expiry', () => {
    it('release requeues at the same phase with artifacts, backoff and a new version', () => {
      const moved = transition(
        claimed(),
        { agentId: 'agent-1', toPhase: 'TDD', artifacts: { plan: 'p' } },
        clock,
      );
      const released = release(moved, { agentId: 'agent-1', retryBackoffMs: BACKOFF }, clock);
      expect(released).toMatchObject({
        status: 'queued',
        phase: 'TDD',
        holder: null,
        lease_expires_at: null,
        attempts: 1,
        token_version: moved.token_version + 1,
        retry_not_before: '2026-01-01T00:00:30.000Z',
        artifacts: { PLAN: { plan: 'p' } },
      });
      expect(released.history.at(-1)).toMatchObject({ action: 'released', to_status: 'queued' });
    });

    it('no backoff leaves retry_not_before empty', () => {
      const released = release(claimed(), { agentId: 'agent-1', retryBackoffMs: 0 }, clock);
      expect(released.retry_not_before).toBeNull();
    });

    it('fails the task when the last attempt fails, keeping the reason', () => {
      const firstFail = fail(
        claimed(),
        { agentId: 'agent-1', reason: 'tests broke', retryBackoffMs: BACKOFF },
        clock,
      );
      expect(firstFail).toMatchObject({ status: 'queued', attempts: 1, failure_reason: null });
      clock.advance(BACKOFF);
      const second = claim(firstFail, { agentId: 'agent-2', leaseMs: LEASE }, clock);
      const final = fail(second, { agentId: 'agent-2', reason: 'again', retryBackoffMs: BACKOFF }, clock);
      expect(final).toMatchObject({
        status: 'failed',
        attempts: 2,
        holder: null,
        retry_not_before: null,
        failure_reason: 'max_attempts (2) reached; last attempt failed: again',
      });
    });

    it('lease expiry counts as a failed attempt and fails the task after max_attempts', () => {
      const held = claimed();
      expect(codeOf(() => expireLease(held, { retryBackoffMs: BACKOFF }, clock))).toBe(
        'conflict:lease_not_expired',
      );
      clock.advance(LEASE);
      const expired = expireLease(held, { retryBackoffMs: BACKOFF }, clock);
      expect(expired).toMatchObject({ status: 'queued', holder: null, attempts: 1, token_version: 2 });
      expect(expired.history.at(-1)).toMatchObject({
        action: 'lease_expired',
        actor: 'system',
        reason: 'lease of agent-1 expired',
      });
      clock.advance(BACKOFF);
      const again = claim(expired, { agentId: 'agent-2', leaseMs: LEASE }, clock);
      clock.advance(LEASE);
      expect(expireLease(again, { retryBackoffMs: BACKOFF }, clock)).toMatchObject({
        status: 'failed',
        attempts: 2,
        failure_reason: 'max_attempts (2) reached; last attempt lease_expired: lease of agent-2 expired',
      });
    });

    it('release and fail are for the holder only; a released task cannot be released twice', () => {
      const held = claimed();
      expect(codeOf(() => release(held, { agentId: 'agent-2', retryBackoffMs: 0 }, clock))).toBe(
        'conflict:not_holder',
      );
      const released = release(held, { agentId: 'agent-1', retryBackoffMs: 0 }, clock);
      expect(codeOf(() => release(released, { agentId: 'agent-1', retryBackoffMs: 0 }, clock))).toBe(
        'conflict:task_not_claimed',
      );
    });

    it('release is still allowed once the lease passed (it ends the attempt either way)', () => {
      const held = claimed();
      clock.advance(LEASE * 2);
      expect(release(held, { agentId: 'agent-1', retryBackoffMs: 0 }, clock).status).toBe('queued');
    });
  });

  describe('complete and cancel', () => {
    it('completes with the final artifacts and optional terminal phase', () => {
      clock.advance(5000);
      const done = complete(
        claimed(),
        { agentId: 'agent-1', artifacts: { review: 'ok' }, finalPhase: 'COMPLETE', fromPhase: 'PLAN' },
        clock,
      );
      expect(done).toMatchObject({
        status: 'completed',
        phase: 'COMPLETE',
        holder: null,
        lease_expires_at: null,
        completed_at: '2026-01-01T00:00:05.000Z',
        artifacts: { PLAN: { review: 'ok' } },
        token_version: 2,
      });
      expect(codeOf(() => cancel(done, { actor: 'op' }, clock))).toBe('conflict:task_terminal');
      expect(codeOf(() => complete(done, { agentId: 'agent-1' }, clock))).toBe('conflict:task_terminal');
    });

    it('cancels a queued or claimed task and invalidates its tokens', () => {
      const held = claimed();
      const cancelled = cancel(held, { actor: 'op', reason: 'obsolete' }, clock);
      expect(cancelled).toMatchObject({
        status: 'cancelled',
        holder: null,
        token_version: held.token_version + 1,
      });
      expect(cancelled.history.at(-1)).toMatchObject({
        action: 'cancelled',
        actor: 'op',
        reason: 'obsolete',
      });
      expect(cancel(task, { actor: 'op' }, clock).status).toBe('cancelled');
    });
  });

  describe('requeue', () => {
    const failed = () => {
      let t = claimed();
      t = fail(t, { agentId: 'agent-1', retryBackoffMs: BACKOFF, reason: 'first' }, clock);
      clock.advance(BACKOFF);
      t = claim(t, { agentId: 'agent-2', leaseMs: LEASE }, clock);
      return fail(t, { agentId: 'agent-2', retryBackoffMs: BACKOFF, reason: 'second' }, clock);
    };

    it('puts a failed task back in the queue with its attempts reset, eligible at once', () => {
      const dead = failed();
      expect(dead).toMatchObject({ status: 'failed', attempts: 2 });
      clock.advance(1000);
      const back = requeue(dead, { actor: 'op', reason: 'flaky runner' }, clock);
      expect(back).toMatchObject({
        status: 'queued',
        phase: dead.phase,
        holder: null,
        attempts: 0,
        lease_expires_at: null,
        retry_not_before: null,
        failure_reason: null,
        blocked_on: null,
        token_version: dead.token_version + 1,
      });
      expect(back.history.at(-1)).toMatchObject({
        action: 'requeued',
        actor: 'op',
        reason: 'flaky runner',
        from_status: 'failed',
        to_status: 'queued',
      });
      expect(claim(back, { agentId: 'agent-3', leaseMs: LEASE }, clock).attempts).toBe(1);
    });

    it('keeps the attempt count when asked, and refuses when none would be left', () => {
      const cancelled = cancel(claimed(), { actor: 'op' }, clock);
      const back = requeue(cancelled, { actor: 'op', resetAttempts: false }, clock);
      expect(back).toMatchObject({ status: 'queued', attempts: 1 });
      expect(codeOf(() => requeue(failed(), { actor: 'op', resetAttempts: false }, clock))).toBe(
        'conflict:no_attempts_left',
      );
    });

    it('refuses a task that is queued, claimed or completed', () => {
      const held = claimed();
      const done = complete(held, { agentId: 'agent-1' }, clock);
      for (const t of [task, held, done]) {
        expect(codeOf(() => requeue(t, { actor: 'op' }, clock))).toBe('conflict:task_not_requeueable');
      }
    });

    it('clears blocked_on and the artifacts stay', () => {
      let held = transition(
        claimed(),
        { agentId: 'agent-1', toPhase: 'TDD', artifacts: { plan: { steps: ['a'] } } },
        clock,
      );
      held = recordBlocked(held, { toPhase: 'IMPL', gateId: 'tests_written', blockers: [] }, clock.now());
      const back = requeue(cancel(held, { actor: 'op' }, clock), { actor: 'op' }, clock);
      expect(back.blocked_on).toBeNull();
      expect(back.artifacts).toEqual({ PLAN: { plan: { steps: ['a'] } } });
      expect(back.phase).toBe('TDD');
    });
  });

  describe('last heartbeat and blocked_on', () => {
    it('stamps heartbeats and resumes, and clears the stamp when an attempt starts or ends', () => {
      const held = claimed();
      expect(held.last_heartbeat_at).toBeNull();
      clock.advance(2000);
      const beat = heartbeat(held, { agentId: 'agent-1', leaseMs: LEASE }, clock);
      expect(beat.last_heartbeat_at).toBe('2026-01-01T00:00:02.000Z');
      clock.advance(1000);
      const resumed = resume(beat, { agentId: 'agent-1', leaseMs: LEASE }, clock);
      expect(resumed.last_heartbeat_at).toBe('2026-01-01T00:00:03.000Z');
      expect(release(resumed, { agentId: 'agent-1', retryBackoffMs: 0 }, clock).last_heartbeat_at).toBeNull();
    });

    it('keeps blocked_on across a release and clears it when the task leaves the phase', () => {
      const blocked = recordBlocked(
        claimed(),
        { toPhase: 'TDD', gateId: 'plan_approved', blockers: [] },
        clock.now(),
      );
      expect(blocked.blocked_on).toMatchObject({ phase: 'PLAN', to_phase: 'TDD', gate_id: 'plan_approved' });
      const released = release(blocked, { agentId: 'agent-1', retryBackoffMs: 0 }, clock);
      expect(released.blocked_on).toEqual(blocked.blocked_on);
      const again = recordBlocked(claimed(), { toPhase: 'TDD', gateId: null, blockers: [] }, clock.now());
      expect(transition(again, { agentId: 'agent-1', toPhase: 'TDD' }, clock).blocked_on).toBeNull();
      expect(complete(again, { agentId: 'agent-1' }, clock).blocked_on).toBeNull();
    });
  });

  describe('approvals', () => {
    const D1 = `sha256:${'1'.repeat(64)}`;
    const D2 = `sha256:${'2'.repeat(64)}`;
    const submitted = (t: Task, digest = D1, plan = 'A') =>
      requestApproval(
        t,
        { agentId: 'agent-1', gateId: 'g1', digest, artifactTypes: ['plan'], artifacts: { plan } },
        clock,
      );

    it('refuses a decision before anything was submitted for the gate (nothing_to_approve)', () => {
      expect(
        codeOf(() => recordApproval(task, { gateId: 'g1', decision: 'approved', by: 'op' }, clock)),
      ).toBe('conflict:nothing_to_approve');
      expect(
        codeOf(() => recordApproval(claimed(), { gateId: 'g1', decision: 'rejected', by: 'op' }, clock)),
      ).toBe('conflict:nothing_to_approve');
    });

    it('a request stores the artifacts and the digest; the same digest again changes nothing', () => {
      const held = claimed();
      const asked = submitted(held);
      expect(asked.artifacts).toEqual({ PLAN: { plan: 'A' } });
      expect(asked.approval_requests).toEqual([
        {
          gate_id: 'g1',
          phase: 'PLAN',
          digest: D1,
          artifacts: ['plan'],
          by: 'agent-1',
          at: '2026-01-01T00:00:00.000Z',
        },
      ]);
      expect(asked.history.at(-1)).toMatchObject({ action: 'approval_requested', reason: `g1 ${D1}` });
      expect(asked.token_version).toBe(held.token_version);
      expect(submitted(asked)).toBe(asked);
      const replaced = submitted(asked, D2, 'B');
      expect(replaced.approval_requests?.map((r) => r.digest)).toEqual([D2]);
      expect(replaced.artifacts).toEqual({ PLAN: { plan: 'B' } });
      expect(
        codeOf(() =>
          requestApproval(task, { agentId: 'agent-1', gateId: 'g1', digest: D1, artifactTypes: [] }, clock),
        ),
      ).toBe('conflict:task_not_claimed');
    });

    it('binds each decision to the pending digest; the latest decision per gate and phase wins', () => {
      const asked = submitted(claimed());
      const rejected = recordApproval(
        asked,
        { gateId: 'g1', decision: 'rejected', by: 'op', comment: 'no' },
        clock,
      );
      expect(approvedDigests(rejected).size).toBe(0);
      const approved = recordApproval(
        rejected,
        { gateId: 'g1', decision: 'approved', by: 'op2', digest: D1 },
        clock,
      );
      expect(approved.approvals).toEqual([
        {
          gate_id: 'g1',
          phase: 'PLAN',
          decision: 'rejected',
          by: 'op',
          comment: 'no',
          at: '2026-01-01T00:00:00.000Z',
          digest: D1,
          artifacts: ['plan'],
        },
        {
          gate_id: 'g1',
          phase: 'PLAN',
          decision: 'approved',
          by: 'op2',
          comment: null,
          at: '2026-01-01T00:00:00.000Z',
          digest: D1,
          artifacts: ['plan'],
        },
      ]);
      expect(approvedDigests(approved)).toEqual(new Map([['g1', D1]]));
      expect(approvedDigests(approved, 'TDD').size).toBe(0);
      expect(approved.token_version).toBe(asked.token_version);
      // New artifacts replace the request; the old approval still names the old digest only.
      const resubmitted = submitted(approved, D2, 'B');
      expect(approvedDigests(resubmitted)).toEqual(new Map([['g1', D1]]));
      const cancelled = cancel(approved, { actor: 'op' }, clock);
      expect(() =>
        recordApproval(cancelled, { gateId: 'g1', decision: 'approved', by: 'op' }, clock),
      ).toThrow(ConflictError);
    });

    it('refuses a digest other than the pending one (approval_digest_mismatch)', () => {
      const asked = submitted(claimed());
      expect(
        codeOf(() =>
          recordApproval(asked, { gateId: 'g1', decision: 'approved', by: 'op', digest: D2 }, clock),
        ),
      ).toBe('conflict:approval_digest_mismatch');
    });

    it('refuses a decider who held the task or submitted its artifacts (self_approval)', () => {
      const asked = submitted(claimed());
      expect(
        codeOf(() => recordApproval(asked, { gateId: 'g1', decision: 'approved', by: 'agent-1' }, clock)),
      ).toBe('forbidden:self_approval');
      // Still refused after the agent let the task go.
      const released = release(asked, { agentId: 'agent-1', retryBackoffMs: 0 }, clock);
      expect(
        codeOf(() => recordApproval(released, { gateId: 'g1', decision: 'approved', by: 'agent-1' }, clock)),
      ).toBe('forbidden:self_approval');
    });

    it('leaving the phase clears the requests: the next phase is approved on its own artifacts', () => {
      const asked = submitted(claimed());
      const moved = transition(asked, { agentId: 'agent-1', toPhase: 'TDD' }, clock);
      expect(moved.approval_requests).toEqual([]);
      expect(
        codeOf(() => recordApproval(moved, { gateId: 'g1', decision: 'approved', by: 'op' }, clock)),
      ).toBe('conflict:nothing_to_approve');
    });

    it('an approval stored without a digest (older state) passes nothing', () => {
      const legacy = {
        ...claimed(),
        approvals: [
          { gate_id: 'g1', phase: 'PLAN', decision: 'approved' as const, by: 'op', comment: null, at: 'x' },
        ],
      };
      expect(approvedDigests(legacy).size).toBe(0);
    });
  });
});
