import { generateKeyPairSync } from 'node:crypto';
import type pg from 'pg';
import { ManualClock } from '../../common/domain/clock.js';
import {
  createMigratedTestDatabase,
  type TestDatabase,
  openTestPool,
} from '../../database/testing/test-database.js';
import { type AuditAnchor } from '../anchor/audit-anchor.store.js';
import { type AuditEntryInput } from '../domain/audit-entry.js';
import { CHECKPOINT_ACTION, readCheckpoint, signCheckpoint, trustedKeys } from '../domain/checkpoint.js';
import { AuditSigner } from '../signing/audit-signer.js';
import { PostgresAuditAnchorStore } from './postgres-audit-anchor.store.js';
import { PostgresAuditStore, type PostgresAuditOptions } from './postgres-audit.store.js';
import { verifyAuditTable } from './audit-table-verify.js';
import { rewriteAuditEntry, truncateAuditTable } from './testing/tamper-audit-table.js';

function input(over: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return { actor: 'agent-001', role: 'agent', action: 'task.claim', decision: 'n/a', success: true, ...over };
}

const signer = new AuditSigner(generateKeyPairSync('ed25519').privateKey, 'test');
const other = generateKeyPairSync('ed25519');

let db: TestDatabase & { pool: pg.Pool };
const extraPools: pg.Pool[] = [];
const open: PostgresAuditStore[] = [];
beforeAll(async () => {
  db = await createMigratedTestDatabase();
});
afterAll(async () => {
  await Promise.all(extraPools.map((p) => p.end()));
  await db.drop();
});
beforeEach(() => db.pool.query('TRUNCATE audit_entries, chain_heads, audit_outbox, audit_anchors'));
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function otherPool(): pg.Pool {
  const pool = openTestPool(db.url, { applicationName: 'orchestrator-test-2', size: 4 });
  extraPools.push(pool);
  return pool;
}

async function openSigned(
  over: Partial<PostgresAuditOptions> = {},
  pool: pg.Pool = db.pool,
): Promise<{ store: PostgresAuditStore; anchored: AuditAnchor[] }> {
  const anchored: AuditAnchor[] = [];
  const store = await PostgresAuditStore.open(pool, {
    signer,
    anchors: new PostgresAuditAnchorStore(pool),
    checkpointEveryEntries: 10,
    onCheckpoint: (a) => anchored.push(a),
    ...over,
  });
  open.push(store);
  return { store, anchored };
}

async function checkpointSeqs(): Promise<number[]> {
  const { rows } = await db.pool.query<{ seq: string }>(
    'SELECT seq FROM audit_entries WHERE action = $1 ORDER BY seq',
    [CHECKPOINT_ACTION],
  );
  return rows.map((r) => Number(r.seq));
}

async function outbox(count: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO audit_outbox (change_id, stored_at, entry)
     SELECT 'c' || g, now(), json_build_object('actor', 'a', 'action', 'task.claim', 'decision', 'n/a',
            'success', true, 'request_id', 'r' || g)
       FROM generate_series(1, $1::int) g`,
    [count],
  );
}

/** What `orchestrator audit verify --public-key` checks: the table, the trusted key, the anchor. */
async function verifyOffline(keys = [signer.publicKey]) {
  const anchors = new PostgresAuditAnchorStore(db.pool);
  return verifyAuditTable(db.pool, {
    keys: trustedKeys(keys),
    anchor: { value: await anchors.read(), location: anchors.location },
  });
}

/** 25 appends and 25 sealed outbox rows, then a clean close: checkpoints inside the chain. */
async function writtenChain(): Promise<void> {
  const { store } = await openSigned();
  for (let i = 0; i < 25; i++) await store.append(input({ request_id: `a${i}` }));
  await outbox(25);
  await store.sealStateOutbox();
  await store.close();
}

describe('PostgresAuditStore signed checkpoints', () => {
  it('signs every N entries in the sealing transaction, and at open and close; anchors the last', async () => {
    const { store, anchored } = await openSigned();
    // Nothing to sign on an empty chain.
    expect(await checkpointSeqs()).toEqual([]);
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.append(input({ request_id: `a${i}` }))));
    await outbox(12);
    expect(await store.sealStateOutbox()).toBe(12);
    // 10 entries, a checkpoint (seq 11), 10 more, one (22), 10 more (33); close signs the last 7.
    expect(await checkpointSeqs()).toEqual([11, 22, 33]);
    await store.close();
    const seqs = await checkpointSeqs();
    expect(seqs).toEqual([11, 22, 33, 41]);
    // The last checkpoint of each transaction is anchored after its commit.
    expect(anchored.map((a) => a.seq).every((seq) => seqs.includes(seq))).toBe(true);
    expect(anchored.at(-1)?.seq).toBe(41);
    const anchor = await new PostgresAuditAnchorStore(db.pool).read();
    expect(anchor).toMatchObject({ seq: 41 });
    const { rows } = await db.pool.query<{ hash: string; line: string }>(
      'SELECT hash, entry::text AS line FROM audit_entries WHERE seq = 41',
    );
    expect(anchor!.hash).toBe(rows[0]!.hash);
    expect(readCheckpoint((JSON.parse(rows[0]!.line) as { details: unknown }).details)).toEqual(
      anchor!.checkpoint,
    );
    expect(anchor!.checkpoint.payload).toMatchObject({
      seq: 41,
      segment_first_seq: 1,
      pruned_through_seq: 0,
    });

    const reopened = await openSigned();
    // Nothing unsigned: a start-up signs nothing, but exports the stored anchor.
    expect(reopened.anchored.map((a) => a.seq)).toEqual([41]);
    expect(await checkpointSeqs()).toEqual([11, 22, 33, 41]);
    expect(await reopened.store.verify()).toMatchObject({
      valid: true,
      signatures_checked: true,
      checkpoints: 4,
      anchor: { seq: 41, found: true },
    });
    expect(await verifyOffline()).toMatchObject({ valid: true, checkpoints: 4, unanchored_entries: 0 });
  });

  it('signs after the interval when fewer than N entries were written', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const { store } = await openSigned({ clock, checkpointIntervalMs: 200, checkpointEveryEntries: 1000 });
    await store.append(input());
    await new Promise((r) => setTimeout(r, 300));
    expect(await checkpointSeqs()).toEqual([]);
    clock.advance(200);
    for (let i = 0; i < 50 && (await checkpointSeqs()).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await checkpointSeqs()).toEqual([2]);
  });

  it('keeps each checkpoint at its own place with two instances sealing and appending at once', async () => {
    const a = await openSigned();
    const b = await openSigned({}, otherPool());
    await outbox(300);
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => a.store.append(input({ request_id: `a${i}` }))),
      ...Array.from({ length: 60 }, (_, i) => b.store.append(input({ request_id: `b${i}` }))),
      a.store.sealStateOutbox(),
      b.store.sealStateOutbox(),
    ]);
    await Promise.all([a.store.close(), b.store.close()]);
    const seqs = await checkpointSeqs();
    // 420 entries: never more than 10 in a row unsigned, whoever wrote them.
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_entries');
    expect(Number(rows[0]!.n) - seqs.length).toBe(420);
    let previous = 0;
    for (const seq of seqs) {
      expect(seq - previous - 1).toBeLessThanOrEqual(10);
      previous = seq;
    }
    expect(await verifyOffline()).toMatchObject({ valid: true, checkpoints: seqs.length });
  });

  it('detects an entry rewritten with a recomputed chain and head (given the public key)', async () => {
    await writtenChain();
    expect(await verifyOffline()).toMatchObject({ valid: true });
    await rewriteAuditEntry(db.pool, 5, (e) => ({ ...e, actor: 'someone-else' }));
    // The chain alone still holds: anyone can recompute it.
    expect(await verifyAuditTable(db.pool, {})).toMatchObject({ valid: true });
    expect(await verifyOffline()).toMatchObject({
      valid: false,
      first_broken: { reason: 'checkpoint_invalid', seq: 1 },
    });
    // The anchored checkpoint's hash changed with the chain: a start refuses to sign over it.
    await expect(openSigned()).rejects.toMatchObject({ code: 'audit_anchor_mismatch' });
    const { store } = await openSigned({ acceptAnchorLoss: true });
    expect(await store.verify()).toMatchObject({
      valid: false,
      first_broken: { reason: 'checkpoint_invalid' },
    });
  });

  it('detects deleted last entries with the head moved back (given the anchor), and refuses to start', async () => {
    await writtenChain();
    const anchor = (await new PostgresAuditAnchorStore(db.pool).read())!;
    await truncateAuditTable(db.pool, anchor.seq - 3);
    expect(await verifyAuditTable(db.pool, { keys: trustedKeys([signer.publicKey]) })).toMatchObject({
      valid: true,
    });
    expect(await verifyOffline()).toMatchObject({
      valid: false,
      first_broken: { reason: 'entries_missing_at_end', seq: anchor.seq - 3 },
    });
    await expect(openSigned()).rejects.toMatchObject({ code: 'audit_anchor_mismatch' });
  });

  it('refuses a checkpoint signed by another key', async () => {
    await writtenChain();
    const [first] = await checkpointSeqs();
    await rewriteAuditEntry(db.pool, first!, (e) => {
      const { payload } = readCheckpoint(e['details'])!;
      const forged = signCheckpoint({ ...payload, key_id: 'f'.repeat(16) }, other.privateKey);
      return { ...e, details: { checkpoint: forged } } as typeof e;
    });
    expect(await verifyOffline()).toMatchObject({
      valid: false,
      first_broken: { reason: 'checkpoint_invalid', seq: 1 },
    });
    expect((await verifyOffline()).first_broken!.message).toContain('not a trusted public key');
  });

  it('refuses to start when the anchor is signed by a key this instance does not trust', async () => {
    await writtenChain();
    const stranger = new AuditSigner(other.privateKey, 'audit.signing_key_file=/other (test)');
    await expect(openSigned({ signer: stranger })).rejects.toThrow(/same audit\.signing_key_file/);
    // With the old key listed as a previous key, it starts and signs with the new one.
    const { store } = await openSigned({ signer: stranger, previousKeys: [signer.publicKey] });
    await store.append(input());
    await store.close();
    expect(await verifyOffline([signer.publicKey, stranger.publicKey])).toMatchObject({ valid: true });
  });

  it('signs a chain written before signing as found, saying so, at the first signed start', async () => {
    const plain = new PostgresAuditStore(db.pool);
    for (let i = 0; i < 3; i++) await plain.append(input());
    await plain.close();
    await openSigned();
    const { rows } = await db.pool.query<{ action: string }>('SELECT action FROM audit_entries ORDER BY seq');
    expect(rows.map((r) => r.action)).toEqual([
      'task.claim',
      'task.claim',
      'task.claim',
      'audit.signed_late',
      CHECKPOINT_ACTION,
    ]);
    expect(await verifyOffline()).toMatchObject({
      valid: true,
      signed_late: [{ from_seq: 1, to_seq: 3, cause: 'no_anchor' }],
    });
  });

  it('refuses to start when the anchor is gone but the chain holds checkpoints, unless the loss is accepted', async () => {
    await writtenChain();
    await db.pool.query('DELETE FROM audit_anchors');
    await expect(openSigned()).rejects.toMatchObject({ code: 'audit_anchor_mismatch' });
    const { store } = await openSigned({ acceptAnchorLoss: true });
    const { rows } = await db.pool.query<{ action: string }>(
      'SELECT action FROM audit_entries ORDER BY seq DESC LIMIT 2',
    );
    expect(rows.map((r) => r.action)).toEqual([CHECKPOINT_ACTION, 'audit.reanchor']);
    expect(await store.verify()).toMatchObject({ valid: true });
  });
});
