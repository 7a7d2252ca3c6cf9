import { GENESIS_HASH, type AuditEntry } from './audit-entry.js';
import { AuditStatsAccumulator } from './audit-stats.js';

function entry(seq: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    seq,
    ts: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    actor: 'a',
    role: 'agent',
    action: 'tool.authorize',
    decision: 'allowed',
    success: true,
    task_id: null,
    phase: null,
    tool: null,
    args: null,
    reason: null,
    blockers: null,
    details: null,
    duration_ms: null,
    request_id: null,
    prev_hash: GENESIS_HASH,
    hash: GENESIS_HASH,
    ...over,
  };
}

describe('audit stats', () => {
  it('counts totals, rate and breakdowns within a time range', () => {
    const stats = new AuditStatsAccumulator({ since: '2026-01-01T00:00:02Z' });
    stats.add(entry(1, { tool: 'bash', success: false })); // before `since`
    stats.add(entry(2, { tool: 'bash', phase: 'TDD', decision: 'allowed' }));
    stats.add(entry(3, { tool: 'bash', phase: 'TDD', decision: 'denied', success: false }));
    stats.add(entry(4, { tool: '__proto__', phase: 'IMPL', action: 'tool.execute' }));
    stats.add(entry(5, { action: 'task.claim', decision: 'n/a' }));
    const result = stats.result();
    expect(result).toMatchObject({
      total: 4,
      successes: 3,
      failures: 1,
      success_rate: 0.75,
      first_seq: 2,
      last_seq: 5,
    });
    expect(result.by_tool['bash']).toEqual({ total: 2, successes: 1, failures: 1 });
    expect(Object.keys(result.by_tool)).toEqual(['__proto__', 'bash']);
    expect(result.by_phase).toEqual({
      IMPL: { total: 1, successes: 1, failures: 0 },
      TDD: { total: 2, successes: 1, failures: 1 },
    });
    expect(result.by_decision).toEqual({
      allowed: { total: 2, successes: 2, failures: 0 },
      denied: { total: 1, successes: 0, failures: 1 },
      'n/a': { total: 1, successes: 1, failures: 0 },
    });
    expect(result.by_action['tool.authorize']).toEqual({ total: 2, successes: 1, failures: 1 });
  });

  it('reports no rate for an empty range', () => {
    expect(new AuditStatsAccumulator().result()).toMatchObject({
      total: 0,
      success_rate: null,
      first_seq: null,
    });
  });
});
