import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../common/domain/clock.js';
import { DomainError } from '../common/domain/domain-error.js';
import { AuditStore } from './audit.store.js';
import { GENESIS_HASH, type AuditEntryInput } from './domain/audit-entry.js';
import { createMigratedTestDatabase } from '../database/testing/test-database.js';
import { JsonlAuditStore } from './file/jsonl-audit.store.js';
import { MemoryAuditStore } from './memory-audit.store.js';
import { PostgresAuditStore } from './postgres/postgres-audit.store.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC0wMDEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

function input(over: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: 'agent-001',
    role: 'agent',
    action: 'tool.authorize',
    decision: 'allowed',
    success: true,
    ...over,
  };
}

interface Adapter {
  readonly name: string;
  open(clock: ManualClock): Promise<AuditStore>;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-contract-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// One database for the postgres adapter, emptied for each test.
let database: Awaited<ReturnType<typeof createMigratedTestDatabase>> | null = null;
afterAll(() => database?.drop());

let n = 0;
const adapters: Adapter[] = [
  { name: 'memory', open: async (clock) => new MemoryAuditStore({ clock }) },
  {
    name: 'jsonl',
    open: (clock) =>
      // Small files so these tests also read across rotated files.
      JsonlAuditStore.open({
        auditFile: join(dir, `log-${++n}`, 'audit.jsonl'),
        clock,
        maxEntries: 4,
        retainFiles: 100,
        fsync: false,
      }),
  },
  {
    name: 'postgres',
    open: async (clock) => {
      database ??= await createMigratedTestDatabase();
      await database.pool.query('TRUNCATE audit_entries, chain_heads, audit_outbox');
      return new PostgresAuditStore(database.pool, { clock });
    },
  },
];

describe.each(adapters)('AuditStore contract: $name', (adapter) => {
  let clock: ManualClock;
  let store: AuditStore;

  beforeEach(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    store = await adapter.open(clock);
  });
  afterEach(() => store.close());

  it('assigns seq from 1 and chains hashes from the genesis value', async () => {
    const first = await store.append(input());
    clock.advance(1500);
    const second = await store.append(input({ action: 'task.claim', decision: 'n/a', task_id: 't1' }));
    expect(first).toMatchObject({ seq: 1, ts: '2026-01-01T00:00:00.000Z', prev_hash: GENESIS_HASH });
    expect(second).toMatchObject({
      seq: 2,
      ts: '2026-01-01T00:00:01.500Z',
      prev_hash: first.hash,
      task_id: 't1',
    });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('chains concurrent appends in call order without gaps', async () => {
    const entries = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(input({ request_id: `r${i}` }))),
    );
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(entries.map((e) => e.request_id)).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`));
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prev_hash).toBe(entries[i - 1]!.hash);
    expect(await store.verify()).toMatchObject({
      valid: true,
      entries: 50,
      last_seq: 50,
      starts_after_seq: 0,
    });
  });

  it('redacts before storing, so queries return no secret', async () => {
    const entry = await store.append(
      input({
        args: { phase_token: JWT, nested: { password: 'hunter2' }, note: `got ${JWT}` },
        reason: `bad ${JWT}`,
      }),
    );
    expect(entry.args).toEqual({
      phase_token: '[redacted]',
      nested: { password: '[redacted]' },
      note: 'got [redacted]',
    });
    const stored = JSON.stringify(await store.recent(10));
    expect(stored).not.toContain('eyJ');
    expect(stored).not.toContain('hunter2');
  });

  it('refuses malformed entries without using a seq', async () => {
    await expect(store.append(input({ action: 'Not An Action' }))).rejects.toMatchObject({
      code: 'invalid_audit_entry',
    });
    expect((await store.append(input())).seq).toBe(1);
  });

  it('filters queries and returns them newest first, paged by cursor', async () => {
    const plan = [
      { task_id: 't1', phase: 'PLAN', tool: 'read_files', success: true },
      { task_id: 't1', phase: 'TDD', tool: 'write_files', success: false, decision: 'denied' },
      { task_id: 't2', phase: 'TDD', tool: 'write_files', success: true },
      { task_id: 't1', phase: 'TDD', tool: 'bash', success: true, action: 'tool.execute' },
      { task_id: 't1', phase: 'IMPL', tool: 'write_files', success: true },
      { task_id: 't2', phase: 'IMPL', action: 'task.transition', decision: 'blocked', success: false },
      { task_id: 't1', phase: 'IMPL', tool: 'write_files', success: true },
      { task_id: 't1', phase: 'REVIEW', action: 'task.complete', decision: 'n/a', success: true },
      { task_id: 't3', phase: 'PLAN', tool: 'read_files', success: true },
      { task_id: 't1', phase: 'REVIEW', tool: 'read_files', success: true },
    ];
    for (const over of plan) {
      await store.append(input(over));
      clock.advance(60_000);
    }
    const seqs = async (q: Parameters<AuditStore['query']>[0]) =>
      (await store.query(q)).entries.map((e) => e.seq);
    expect(await seqs({})).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(await seqs({ task_id: 't1' })).toEqual([10, 8, 7, 5, 4, 2, 1]);
    expect(await seqs({ phase: 'TDD' })).toEqual([4, 3, 2]);
    expect(await seqs({ tool_name: 'write_files' })).toEqual([7, 5, 3, 2]);
    expect(await seqs({ action: 'task.*' })).toEqual([8, 6]);
    expect(await seqs({ action: 'tool.execute' })).toEqual([4]);
    expect(await seqs({ success: false })).toEqual([6, 2]);
    expect(await seqs({ task_id: 't1', tool_name: 'write_files', success: true })).toEqual([7, 5]);
    expect(await seqs({ since: '2026-01-01T00:03:00Z', until: '2026-01-01T00:06:00Z' })).toEqual([6, 5, 4]);
    expect(await seqs({ limit: 3 })).toEqual([10, 9, 8]);
    expect(await seqs({ decision: 'denied' })).toEqual([2]);
    expect(await seqs({ decision: 'blocked', task_id: 't2' })).toEqual([6]);
    expect(await seqs({ decision: 'allowed', phase: 'TDD' })).toEqual([4, 3]);

    const pages: number[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.query({ task_id: 't1', limit: 3, cursor });
      pages.push(page.entries.map((e) => e.seq));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual([[10, 8, 7], [5, 4, 2], [1]]);

    expect((await store.recent(2)).map((e) => e.seq)).toEqual([10, 9]);
    expect((await store.recent()).length).toBe(10);
  });

  it('filters by actor, role and decision, alone and with time bounds and a cursor', async () => {
    const plan: Partial<AuditEntryInput>[] = [
      { actor: 'agent-a', decision: 'denied', success: false, tool: 'bash' },
      { actor: 'agent-b', decision: 'denied', success: false, tool: 'bash' },
      { actor: 'op-1', role: 'operator', action: 'task.cancel', decision: 'allowed' },
      { actor: 'anonymous', role: null, action: 'auth.failure', decision: 'denied', success: false },
      { actor: 'agent-a', decision: 'allowed', tool: 'read_files' },
      { actor: 'agent-a', decision: 'denied', success: false, tool: 'write_files' },
      { actor: 'op-1', role: 'operator', action: 'task.approve', decision: 'denied', success: false },
    ];
    for (const over of plan) {
      await store.append(input(over));
      clock.advance(60_000);
    }
    const seqs = async (q: Parameters<AuditStore['query']>[0]) =>
      (await store.query(q)).entries.map((e) => e.seq);
    expect(await seqs({ actor: 'agent-a' })).toEqual([6, 5, 1]);
    expect(await seqs({ actor: 'agent-a', decision: 'denied' })).toEqual([6, 1]);
    expect(await seqs({ decision: 'denied' })).toEqual([7, 6, 4, 2, 1]);
    expect(await seqs({ decision: 'denied', role: 'agent' })).toEqual([6, 2, 1]);
    expect(await seqs({ role: 'operator' })).toEqual([7, 3]);
    expect(await seqs({ decision: 'denied', role: 'agent', since: '2026-01-01T00:01:00Z' })).toEqual([6, 2]);
    expect(await seqs({ actor: 'nobody' })).toEqual([]);
    expect(await seqs({ decision: 'DENIED' })).toEqual([]);
    const first = await store.query({ decision: 'denied', limit: 2 });
    expect(first.entries.map((e) => e.seq)).toEqual([7, 6]);
    const second = await store.query({ decision: 'denied', limit: 2, cursor: first.next_cursor! });
    expect(second.entries.map((e) => e.seq)).toEqual([4, 2]);
  });

  it('rejects bad query parameters as invalid input', async () => {
    await expect(store.query({ since: 'last tuesday' })).rejects.toMatchObject({
      kind: 'invalid_input',
      code: 'invalid_audit_query',
    });
    await expect(store.query({ cursor: 'x' })).rejects.toMatchObject({ code: 'invalid_audit_cursor' });
    await expect(store.recent(0)).rejects.toBeInstanceOf(DomainError);
  });

  it('counts stats overall and since a time', async () => {
    await store.append(input({ tool: 'bash', phase: 'TDD', decision: 'denied', success: false }));
    await store.append(input({ tool: 'bash', phase: 'TDD' }));
    clock.advance(10_000);
    await store.append(input({ tool: 'read_files', phase: 'PLAN' }));
    await store.append(
      input({ action: 'task.transition', phase: 'PLAN', decision: 'blocked', success: false }),
    );
    await store.append(
      input({ action: 'auth.failure', actor: 'anonymous', role: null, decision: 'denied', success: false }),
    );
    const all = await store.stats();
    expect(all).toMatchObject({
      total: 5,
      successes: 2,
      failures: 3,
      success_rate: 0.4,
      first_seq: 1,
      last_seq: 5,
    });
    expect(all.by_tool).toEqual({
      bash: { total: 2, successes: 1, failures: 1 },
      read_files: { total: 1, successes: 1, failures: 0 },
    });
    expect(all.by_phase['PLAN']).toEqual({ total: 2, successes: 1, failures: 1 });
    expect(all.by_decision['denied']).toEqual({ total: 2, successes: 0, failures: 2 });
    expect(all.by_action['auth.failure']).toEqual({ total: 1, successes: 0, failures: 1 });
    const recent = await store.stats({ since: '2026-01-01T00:00:05Z' });
    expect(recent).toMatchObject({ total: 3, successes: 1, failures: 2, first_seq: 3 });
  });

  it('reports health and refuses appends once closed', async () => {
    await store.append(input());
    expect(await store.health()).toMatchObject({ status: 'up', details: { last_seq: 1 } });
    await store.close();
    await store.close();
    await expect(store.append(input())).rejects.toMatchObject({ kind: 'unavailable', code: 'audit_closed' });
    expect((await store.health()).status).toBe('down');
  });
});
