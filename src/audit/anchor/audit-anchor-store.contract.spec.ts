import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '../../common/domain/domain-error.js';
import { signCheckpoint, keyIdOf } from '../domain/checkpoint.js';
import { type AuditAnchor, type AuditAnchorStore } from './audit-anchor.store.js';
import { FileAuditAnchorStore } from './file-audit-anchor.store.js';
import { createMigratedTestDatabase } from '../../database/testing/test-database.js';
import { PostgresAuditAnchorStore } from '../postgres/postgres-audit-anchor.store.js';
import { MemoryAuditAnchorStore } from './memory-audit-anchor.store.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');

function anchorAt(seq: number): AuditAnchor {
  const checkpoint = signCheckpoint(
    {
      v: 1,
      seq,
      prev_hash: 'a'.repeat(64),
      ts: '2026-01-01T00:00:00.000Z',
      segment_first_seq: 1,
      pruned_through_seq: 0,
      key_id: keyIdOf(publicKey),
    },
    privateKey,
  );
  return { seq, hash: 'b'.repeat(64), checkpoint };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-anchor-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// One database for the postgres adapter, emptied for each store opened.
let database: Awaited<ReturnType<typeof createMigratedTestDatabase>> | null = null;
afterAll(() => database?.drop());

let n = 0;
const adapters: Array<{ name: string; open(): Promise<AuditAnchorStore> }> = [
  { name: 'memory', open: async () => new MemoryAuditAnchorStore() },
  { name: 'file', open: async () => new FileAuditAnchorStore(join(dir, `anchor-${++n}.json`)) },
  {
    name: 'postgres',
    open: async () => {
      database ??= await createMigratedTestDatabase();
      await database.pool.query('TRUNCATE audit_anchors');
      return new PostgresAuditAnchorStore(database.pool);
    },
  },
];

describe.each(adapters)('AuditAnchorStore contract: $name', (adapter) => {
  it('reads null before any anchor was written', async () => {
    await expect((await adapter.open()).read()).resolves.toBeNull();
  });

  it('returns the last anchor written, whole', async () => {
    const store = await adapter.open();
    await store.write(anchorAt(10));
    await store.write(anchorAt(20));
    await expect(store.read()).resolves.toEqual(anchorAt(20));
  });

  it('gives a copy: changing what was read or written does not change what is stored', async () => {
    const store = await adapter.open();
    const anchor = anchorAt(5) as { seq: number };
    await store.write(anchor as AuditAnchor);
    anchor.seq = 99;
    const read = (await store.read()) as { seq: number };
    read.seq = 77;
    await expect(store.read()).resolves.toMatchObject({ seq: 5 });
  });
});

describe('FileAuditAnchorStore', () => {
  it('survives a new instance (the anchor is on disk, not in memory)', async () => {
    const path = join(dir, 'durable.json');
    await new FileAuditAnchorStore(path).write(anchorAt(3));
    await expect(new FileAuditAnchorStore(path).read()).resolves.toEqual(anchorAt(3));
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      format: 'workflow-orchestrator/audit-anchor',
    });
  });

  it.each([
    ['not JSON', '{"seq": 3'],
    ['not an anchor', '{"format":"workflow-orchestrator/audit-anchor","seq":3}'],
  ])('refuses a damaged anchor (%s) with audit_anchor_corrupt', async (_name, text) => {
    const path = join(dir, `bad-${++n}.json`);
    await writeFile(path, text);
    const error = await new FileAuditAnchorStore(path).read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('audit_anchor_corrupt');
    expect((error as Error).message).toContain(path);
  });
});
