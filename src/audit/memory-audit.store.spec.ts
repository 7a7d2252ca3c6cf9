import { MemoryAuditStore } from './memory-audit.store.js';

describe('MemoryAuditStore', () => {
  it('drops the oldest entries beyond retainEntries, and verify accepts the trimmed start', async () => {
    const store = new MemoryAuditStore({ retainEntries: 5 });
    for (let i = 0; i < 12; i++)
      await store.append({ actor: 'a', action: 'task.claim', decision: 'n/a', success: true });
    expect((await store.recent(100)).map((e) => e.seq)).toEqual([12, 11, 10, 9, 8]);
    expect(await store.verify()).toMatchObject({
      valid: true,
      entries: 5,
      first_seq: 8,
      starts_after_seq: 7,
    });
    expect((await store.stats()).total).toBe(5);
  });

  it('returns frozen entries, so a caller cannot change what was recorded', async () => {
    const store = new MemoryAuditStore();
    const entry = await store.append({
      actor: 'a',
      action: 'tool.execute',
      decision: 'allowed',
      success: true,
      args: { path: 'a.ts' },
    });
    expect(() => ((entry.args as Record<string, unknown>)['path'] = 'b.ts')).toThrow(TypeError);
    expect((await store.recent(1))[0]!.args).toEqual({ path: 'a.ts' });
    expect((await store.verify()).valid).toBe(true);
  });
});
