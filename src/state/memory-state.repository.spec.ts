import fc from 'fast-check';
import { ManualClock } from '../common/domain/clock.js';
import { SequentialIds } from '../common/domain/ids.js';
import { compareClaimOrder, isEligible } from '../tasks/domain/claim-eligibility.js';
import { createTask } from '../tasks/domain/task-factory.js';
import { cancel, complete, fail, release } from '../tasks/domain/task-state-machine.js';
import type { Task } from '../tasks/domain/task.model.js';
import { MemoryStateRepository } from './memory-state.repository.js';

const T0 = Date.UTC(2026, 0, 1);
const LEASE = 60_000;
const BACKOFF = 30_000;
const CAPS = ['x', 'y'];

type Step =
  | { kind: 'add'; priority: number; caps: string[]; depOn: number | null; sameTime: boolean }
  | { kind: 'claim'; caps: string[] }
  | { kind: 'end'; pick: number; how: 'complete' | 'release' | 'fail' | 'cancel' }
  | { kind: 'expire' }
  | { kind: 'tick'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      priority: fc.integer({ min: 0, max: 2 }),
      caps: fc.subarray(CAPS),
      depOn: fc.option(fc.nat(), { nil: null, freq: 3 }),
      sameTime: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), caps: fc.subarray(CAPS) }) },
  fc.record({
    kind: fc.constant('end' as const),
    pick: fc.nat(),
    how: fc.constantFrom('complete' as const, 'release' as const, 'fail' as const, 'cancel' as const),
  }),
  fc.record({ kind: fc.constant('expire' as const) }),
  // Exact multiples of the backoff and lease hit the `now == retry_not_before` boundaries.
  fc.record({ kind: fc.constant('tick' as const), ms: fc.constantFrom(0, 1, BACKOFF - 1, BACKOFF, LEASE) }),
);

/** Reference answer: full sort + the domain eligibility rule over every task. */
function expectedClaim(all: readonly Task[], caps: readonly string[], now: number): string | null {
  const statusOf = new Map(all.map((t) => [t.id, t.status]));
  const have = new Set(caps);
  return (
    [...all].sort(compareClaimOrder).find((t) => isEligible(t, have, now, (id) => statusOf.get(id)))?.id ??
    null
  );
}

describe('MemoryStateRepository indexes', () => {
  it('claimNextEligible agrees with the reference rule over random histories (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 60, size: 'max' }), async (steps) => {
        const repo = new MemoryStateRepository();
        const clock = new ManualClock(T0);
        const ids = new SequentialIds('p');
        for (const s of steps) {
          const all = (await repo.listTasks({ limit: 1000 })).tasks;
          const now = clock.now();
          switch (s.kind) {
            case 'add': {
              const dependencies =
                s.depOn === null || all.length === 0 ? [] : [all[s.depOn % all.length]!.id];
              const input = {
                title: 't',
                workflow: { name: 'w', version: '1' },
                initialPhase: 'P',
                maxAttempts: 2,
                createdBy: 'op',
                priority: s.priority,
                capabilities: s.caps,
                dependencies,
              };
              await repo.createTask(createTask(input, { clock, ids }));
              if (!s.sameTime) clock.advance(1);
              break;
            }
            case 'claim': {
              const expected = expectedClaim(all, s.caps, now);
              const got = await repo.claimNextEligible({
                agentId: 'a',
                capabilities: s.caps,
                leaseMs: LEASE,
                now,
              });
              expect(got?.id ?? null).toBe(expected);
              break;
            }
            case 'end': {
              const live = all.filter((t) => t.status === 'claimed' && Date.parse(t.lease_expires_at!) > now);
              if (live.length === 0) break;
              const id = live[s.pick % live.length]!.id;
              await repo.mutateTask(id, (t) => {
                if (s.how === 'complete') return complete(t, { agentId: 'a' }, clock);
                if (s.how === 'cancel') return cancel(t, { actor: 'op' }, clock);
                if (s.how === 'fail')
                  return fail(t, { agentId: 'a', reason: 'r', retryBackoffMs: BACKOFF }, clock);
                return release(t, { agentId: 'a', retryBackoffMs: BACKOFF }, clock);
              });
              break;
            }
            case 'expire': {
              const due = all.filter((t) => t.status === 'claimed' && Date.parse(t.lease_expires_at!) <= now);
              const expired = await repo.expireLeases({ now, retryBackoffMs: BACKOFF });
              expect(expired.map((t) => t.id).sort()).toEqual(due.map((t) => t.id).sort());
              break;
            }
            case 'tick':
              clock.advance(s.ms);
              break;
          }
          const counts = await repo.countByStatus();
          const listed = (await repo.listTasks({ limit: 1000 })).tasks;
          for (const status of ['queued', 'claimed', 'completed', 'failed', 'cancelled'] as const) {
            expect(counts[status]).toBe(listed.filter((t) => t.status === status).length);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
