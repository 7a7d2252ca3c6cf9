import { type Finding } from '../../workflow/domain/finding.model.js';
import { MAX_FINDING_TEXT, MAX_STORED_FINDINGS, recordBlocked } from './blocked-on.js';
import { type Task } from './task.model.js';

const task = {
  id: 't1',
  phase: 'PLAN',
  token_version: 3,
  updated_at: '2026-01-01T00:00:00.000Z',
  history: [],
} as unknown as Task;

const finding = (over: Partial<Finding> = {}): Finding => ({
  check: 'artifact_required',
  severity: 'blocking',
  message: 'plan is missing',
  gate: 'plan_ready',
  ...over,
});

describe('recordBlocked', () => {
  it('records the refusal and nothing else about the task', () => {
    const next = recordBlocked(
      task,
      { toPhase: 'TDD', gateId: 'plan_ready', blockers: [finding()] },
      Date.UTC(2026, 0, 1, 0, 5),
    );
    expect(next.blocked_on).toEqual({
      at: '2026-01-01T00:05:00.000Z',
      phase: 'PLAN',
      to_phase: 'TDD',
      gate_id: 'plan_ready',
      blocker_details: [finding()],
    });
    expect({ ...next, blocked_on: undefined }).toEqual({ ...task, blocked_on: undefined });
  });

  it('keeps at most 50 findings and cuts long texts, so an agent cannot grow the task', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      finding({ message: `m${i}`, detail: 'x'.repeat(10_000) }),
    );
    const stored = recordBlocked(task, { toPhase: 'TDD', gateId: null, blockers: many }, 0).blocked_on!;
    expect(stored.blocker_details).toHaveLength(MAX_STORED_FINDINGS);
    expect(stored.blocker_details[0]!.detail!.length).toBe(MAX_FINDING_TEXT + 1);
    expect(stored.blocker_details[0]!.message).toBe('m0');
    expect(JSON.stringify(stored).length).toBeLessThan(50_000);
  });
});
