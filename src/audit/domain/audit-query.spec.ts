import { InvalidInputError } from '../../common/domain/domain-error.js';
import { GENESIS_HASH, type AuditEntry } from './audit-entry.js';
import { AuditPageCollector, matchesAuditQuery, normalizeAuditQuery, recentCount } from './audit-query.js';

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

describe('audit query', () => {
  it('defaults to 100 newest entries and clamps limits at 1000', () => {
    expect(normalizeAuditQuery().limit).toBe(100);
    expect(normalizeAuditQuery({ limit: 5000 }).limit).toBe(1000);
    expect(recentCount(undefined)).toBe(20);
    expect(recentCount(3000)).toBe(1000);
  });

  it('refuses bad limits, times and cursors with precise codes', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError);
        return (error as InvalidInputError).code;
      }
      return 'no error';
    };
    expect(code(() => normalizeAuditQuery({ limit: 0 }))).toBe('invalid_audit_query');
    expect(code(() => normalizeAuditQuery({ limit: 1.5 }))).toBe('invalid_audit_query');
    expect(code(() => normalizeAuditQuery({ since: 'yesterday' }))).toBe('invalid_audit_query');
    expect(code(() => normalizeAuditQuery({ until: '2026-13-45T00:00:00Z' }))).toBe('invalid_audit_query');
    expect(code(() => normalizeAuditQuery({ cursor: 'abc' }))).toBe('invalid_audit_cursor');
    expect(code(() => normalizeAuditQuery({ cursor: '0' }))).toBe('invalid_audit_cursor');
    expect(code(() => recentCount(-1))).toBe('invalid_audit_query');
  });

  it('normalises times so they compare with entry timestamps', () => {
    expect(normalizeAuditQuery({ since: '2026-01-01T01:00:00+01:00' }).since).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    expect(normalizeAuditQuery({ until: '2026-01-02' }).until).toBe('2026-01-02T00:00:00.000Z');
  });

  it('matches every filter, since inclusive and until exclusive', () => {
    const e = entry(10, {
      task_id: 't1',
      phase: 'TDD',
      tool: 'bash',
      action: 'tool.execute',
      success: false,
    });
    const m = (q: Parameters<typeof normalizeAuditQuery>[0]) => matchesAuditQuery(e, normalizeAuditQuery(q));
    expect(
      m({ task_id: 't1', phase: 'TDD', tool_name: 'bash', action: 'tool.execute', success: false }),
    ).toBe(true);
    expect(m({ task_id: 't2' })).toBe(false);
    expect(m({ phase: 'IMPL' })).toBe(false);
    expect(m({ tool_name: 'read_files' })).toBe(false);
    expect(m({ action: 'tool.authorize' })).toBe(false);
    expect(m({ action: 'tool.*' })).toBe(true);
    expect(m({ action: 'task.*' })).toBe(false);
    expect(m({ success: true })).toBe(false);
    expect(m({ since: e.ts })).toBe(true);
    expect(m({ until: e.ts })).toBe(false);
    expect(m({ since: '2026-01-01T00:00:11Z' })).toBe(false);
    expect(m({ until: '2026-01-01T00:00:11Z' })).toBe(true);
    expect(m({ cursor: '10' })).toBe(false);
    expect(m({ cursor: '11' })).toBe(true);
  });

  it('pages newest first and sets a cursor only when older matches exist', () => {
    const all = Array.from({ length: 7 }, (_, i) => entry(i + 1));
    const page = (cursor?: string) => {
      const collector = new AuditPageCollector(normalizeAuditQuery({ limit: 3, cursor }));
      for (const e of [...all].reverse()) if (!collector.skips(e.seq) && !collector.offer(e)) break;
      return collector.page();
    };
    const first = page();
    expect(first.entries.map((e) => e.seq)).toEqual([7, 6, 5]);
    expect(first.next_cursor).toBe('5');
    const second = page(first.next_cursor!);
    expect(second.entries.map((e) => e.seq)).toEqual([4, 3, 2]);
    const third = page(second.next_cursor!);
    expect(third.entries.map((e) => e.seq)).toEqual([1]);
    expect(third.next_cursor).toBeNull();
  });
});
