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

  it('merges whole-file summaries that fall inside its bounds, with the same result as adding entries', () => {
    const entries = [
      entry(1, { tool: 'bash', success: false }),
      entry(2, { tool: 'bash', phase: 'TDD' }),
      entry(3, { tool: 'read_files', phase: 'PLAN', decision: 'denied', success: false }),
      entry(4, { action: 'task.claim' }),
    ];
    const direct = new AuditStatsAccumulator({ since: '2026-01-01T00:00:01Z' });
    for (const e of entries) direct.add(e);

    const fileA = new AuditStatsAccumulator();
    for (const e of entries.slice(0, 2)) fileA.add(e);
    const fileB = new AuditStatsAccumulator();
    for (const e of entries.slice(2)) fileB.add(e);
    const merged = new AuditStatsAccumulator({ since: '2026-01-01T00:00:01Z' });
    expect(merged.covers(fileA.tsRange!)).toBe(true);
    expect(merged.covers(fileB.tsRange!)).toBe(true);
    merged.merge(fileA);
    merged.merge(fileB);
    expect(merged.result()).toEqual(direct.result());

    const later = new AuditStatsAccumulator({ since: '2026-01-01T00:00:03Z' });
    expect(later.covers(fileA.tsRange!)).toBe(false);
    expect(later.excludes(fileA.tsRange!)).toBe(true);
    expect(later.excludes(fileB.tsRange!)).toBe(false);
    const bounded = new AuditStatsAccumulator({ until: '2026-01-01T00:00:04Z' });
    expect(bounded.covers(fileB.tsRange!)).toBe(false);
    expect(bounded.excludes(fileB.tsRange!)).toBe(false);
  });
});
