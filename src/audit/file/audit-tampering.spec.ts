import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { MemoryAuditAnchorStore } from '../anchor/memory-audit-anchor.store.js';
import { RECOVER_ACTION, type AuditEntryInput } from '../domain/audit-entry.js';
import { type AuditVerifyReport, type VerifyOptions } from '../domain/audit-verify.js';
import { trustedKeys } from '../domain/checkpoint.js';
import { entryHash, serializeEntry, sha256Hex } from '../domain/hash-chain.js';
import { AuditSigner } from '../signing/audit-signer.js';
import { listRotated, logSegments, rotatedFileName } from './audit-files.js';
import { nodeAuditFs } from './audit-fs.js';
import { closeSegments, openSegments, verifyOpened } from './audit-log-reader.js';
import { JsonlAuditStore, type JsonlAuditOptions } from './jsonl-audit.store.js';

/**
 * The attacker of DESIGN.md §4 with write access to the audit files (not to the signing key):
 * every tampering below passed `audit verify` before checkpoints were signed and anchored.
 */
const { privateKey } = generateKeyPairSync('ed25519');
const signer = new AuditSigner(privateKey, 'test');
const keys = trustedKeys([signer.publicKey]);

function input(i: number): AuditEntryInput {
  return { actor: `agent-${i}`, role: 'agent', action: 'tool.authorize', decision: 'allowed', success: true };
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'audit-tamper-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let n = 0;
interface Log {
  readonly auditFile: string;
  readonly anchors: MemoryAuditAnchorStore;
  readonly options: JsonlAuditOptions;
}

/** A closed log of `count` entries with a checkpoint every 5 entries, anchored in memory. */
async function writeLog(count: number, extra: Partial<JsonlAuditOptions> = {}): Promise<Log> {
  const auditFile = join(root, `log-${++n}`, 'audit.jsonl');
  const anchors = new MemoryAuditAnchorStore();
  const options: JsonlAuditOptions = {
    auditFile,
    clock: new ManualClock(Date.UTC(2026, 0, 1)),
    fsync: false,
    signer,
    anchors,
    checkpointEveryEntries: 5,
    ...extra,
  };
  const store = await JsonlAuditStore.open(options);
  for (let i = 0; i < count; i++) await store.append(input(i));
  await store.close();
  return { auditFile, anchors, options };
}

async function verify(log: Log, options: VerifyOptions = {}): Promise<AuditVerifyReport> {
  const opened = await openSegments(nodeAuditFs, await logSegments(nodeAuditFs, log.auditFile));
  try {
    return await verifyOpened(opened, {
      keys,
      anchor: { value: await log.anchors.read(), location: 'the anchor' },
      ...options,
    });
  } finally {
    await closeSegments(opened);
  }
}

async function readLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
}

const writeLines = (path: string, lines: readonly string[]) => writeFile(path, `${lines.join('\n')}\n`);

/** What an attacker without the key can do: renumber and re-hash every line from `from` on. */
function rechain(lines: readonly string[], from: number): string[] {
  const out = lines.slice(0, from);
  let prev = from === 0 ? '0'.repeat(64) : (JSON.parse(out[from - 1]!) as { hash: string }).hash;
  let seq = from === 0 ? 1 : (JSON.parse(out[from - 1]!) as { seq: number }).seq + 1;
  for (const line of lines.slice(from)) {
    const entry: Record<string, unknown> = {
      ...(JSON.parse(line) as Record<string, unknown>),
      seq: seq++,
      prev_hash: prev,
    };
    delete entry['hash'];
    const hash = entryHash(entry);
    out.push(serializeEntry({ ...entry, hash }));
    prev = hash;
  }
  return out;
}

describe('audit verify against an attacker who can write the audit files', () => {
  it('accepts the untouched log: every checkpoint signed, the anchor found at its end', async () => {
    const log = await writeLog(12);
    const report = await verify(log);
    expect(report).toMatchObject({ valid: true, signatures_checked: true, unanchored_entries: 0 });
    expect(report.checkpoints).toBeGreaterThanOrEqual(3);
    expect(report.anchor).toMatchObject({ found: true, seq: report.last_seq });
  });

  it('detects deleting the last 3 lines, naming the missing range', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    await writeLines(log.auditFile, lines.slice(0, -3));
    const last = lines.length;
    const report = await verify(log);
    expect(report.valid).toBe(false);
    expect(report.first_broken).toMatchObject({ reason: 'entries_missing_at_end', seq: last - 2 });
    expect(report.first_broken!.message).toContain(`seq ${last - 2}–${last} are missing`);
  });

  it('detects cutting the last line short', async () => {
    const log = await writeLog(12);
    const text = await readFile(log.auditFile, 'utf8');
    await writeFile(log.auditFile, text.slice(0, -40));
    const last = (await readLines(log.auditFile)).length;
    const report = await verify(log);
    expect(report.first_broken).toMatchObject({ reason: 'entries_missing_at_end', seq: last });
    expect(report.first_broken!.message).toMatch(/cut short/);
  });

  it('detects rewriting an entry and recomputing every hash after it, naming the range', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    const k = 7; // the 8th line
    lines[k] = lines[k]!.replace('"actor":"agent-', '"actor":"mallory-');
    await writeLines(log.auditFile, rechain(lines, k));
    const report = await verify(log);
    expect(report.first_broken).toMatchObject({ reason: 'checkpoint_invalid' });
    const { seq, message } = report.first_broken!;
    expect(seq).toBeLessThanOrEqual(k + 1);
    const [, from, to] = /seq (\d+)–(\d+) were rewritten/.exec(message)!.map(Number);
    expect(from).toBeLessThanOrEqual(k + 1);
    expect(to).toBeGreaterThanOrEqual(k + 1);
  });

  it('detects deleting a middle entry and recomputing the chain', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    lines.splice(3, 1);
    await writeLines(log.auditFile, rechain(lines, 3));
    const report = await verify(log);
    expect(report.first_broken).toMatchObject({ reason: 'checkpoint_invalid' });
    expect(report.first_broken!.message).toMatch(/seq \d+–\d+ were rewritten, removed or inserted/);
  });

  it('detects removing the first entries and naming the file like a rotated one', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    const kept = lines.slice(4);
    const first = (JSON.parse(kept[0]!) as { seq: number }).seq;
    const last = (JSON.parse(kept.at(-1)!) as { seq: number }).seq;
    await writeLines(join(log.auditFile, '..', rotatedFileName(log.auditFile, first, last)), kept);
    await unlink(log.auditFile);
    const report = await verify(log);
    expect(report.first_broken).toMatchObject({ reason: 'deleted_not_pruned', seq: 1 });
    expect(report.first_broken!.message).toContain(`seq 1–${first - 1} are missing`);
  });

  it('detects a forged audit.recover entry over an edited line (inside the signed range)', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    const k = 4;
    const garbage = lines[k]!.replace('agent-', 'mallory-').slice(0, 50);
    const victim = JSON.parse(lines[k]!) as Record<string, unknown>;
    const forged = serializeEntry({
      ...victim,
      actor: 'system',
      role: 'system',
      action: RECOVER_ACTION,
      details: { torn_bytes: Buffer.byteLength(garbage), torn_sha256: sha256Hex(garbage) },
    });
    lines.splice(k, 1, garbage, forged);
    // The forged entry takes the victim's seq and links to the entry before; re-hash from it.
    const out = [
      ...lines.slice(0, k + 1),
      ...rechain([...lines.slice(0, k), ...lines.slice(k + 1)], k).slice(k),
    ];
    await writeLines(log.auditFile, out);
    const report = await verify(log);
    expect(report.valid).toBe(false);
    expect(report.first_broken).toMatchObject({ reason: 'checkpoint_invalid' });
  });

  it('detects a forged audit.recover entry appended after the last checkpoint', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    const last = JSON.parse(lines.at(-1)!) as { seq: number; hash: string };
    const garbage = '{"seq":99,"actor":"mallory"';
    const forged = rechain(
      [
        ...lines,
        serializeEntry({
          ...(JSON.parse(lines[0]!) as Record<string, unknown>),
          actor: 'system',
          action: RECOVER_ACTION,
          details: { torn_bytes: garbage.length, torn_sha256: sha256Hex(garbage) },
        }),
      ],
      lines.length,
    ).at(-1)!;
    expect((JSON.parse(forged) as { prev_hash: string }).prev_hash).toBe(last.hash);
    await writeLines(log.auditFile, [...lines, garbage, forged]);
    const report = await verify(log);
    expect(report.first_broken).toMatchObject({ reason: 'recovery_unsigned', seq: last.seq + 1 });
  });

  it('detects a rotated file deleted outside retention, and accepts what retention pruned', async () => {
    const pruned = await writeLog(40, { maxEntries: 6, retainFiles: 2 });
    const legit = await verify(pruned);
    expect(legit.first_broken).toBeUndefined();
    expect(legit).toMatchObject({ valid: true });
    expect(legit.starts_after_seq).toBeGreaterThan(0);
    expect(legit.pruned_through_seq).toBe(legit.starts_after_seq);

    const [oldest] = await listRotated(nodeAuditFs, pruned.auditFile);
    await unlink(oldest!.path);
    const report = await verify(pruned);
    expect(report.first_broken).toMatchObject({ reason: 'deleted_not_pruned', seq: oldest!.firstSeq });
    expect(report.first_broken!.message).toContain(`seq ${oldest!.firstSeq}–${oldest!.lastSeq} are missing`);
  });

  it('a genuine crash recovery verifies as valid: the writer signs right after it', async () => {
    const log = await writeLog(7);
    await appendFile(log.auditFile, '{"seq":17,"ts":"2026-01-01T00:00');
    const torn = await verify(log);
    expect(torn).toMatchObject({ valid: true, torn_tail: { bytes: 32 } });
    const store = await JsonlAuditStore.open(log.options);
    expect(store.startup.recovery_entry_seq).not.toBeNull();
    await store.close();
    const report = await verify(log);
    expect(report).toMatchObject({ valid: true, unanchored_entries: 0 });
    expect(report.recovered).toHaveLength(1);
  });

  it('entries a crashed run left unsigned are signed at the next start and reported as signed late', async () => {
    const auditFile = join(root, `log-${++n}`, 'audit.jsonl');
    const anchors = new MemoryAuditAnchorStore();
    const options: JsonlAuditOptions = {
      auditFile,
      clock: new ManualClock(Date.UTC(2026, 0, 1)),
      fsync: false,
      signer,
      anchors,
      checkpointEveryEntries: 5,
      checkpointIntervalMs: 3_600_000,
    };
    const crashed = await JsonlAuditStore.open(options);
    for (let i = 0; i < 8; i++) await crashed.append(input(i));
    // No close (a SIGKILL): the entries after the last checkpoint were never signed.
    const anchoredBefore = (await anchors.read())!.seq;
    const lastBefore = (await readLines(auditFile)).length;
    expect(lastBefore).toBeGreaterThan(anchoredBefore);
    const restarted = await JsonlAuditStore.open(options);
    await restarted.close();
    const report = await verify({ auditFile, anchors, options });
    expect(report.valid).toBe(true);
    expect(report.signed_late).toEqual([
      { from_seq: anchoredBefore + 1, to_seq: lastBefore, cause: 'crash' },
    ]);
  });

  it('a log from before signing is reported as signed late from its first entry', async () => {
    const plain = await writeLog(4, { signer: undefined, anchors: undefined });
    const anchors = new MemoryAuditAnchorStore();
    const options = { ...plain.options, signer, anchors };
    const store = await JsonlAuditStore.open(options);
    await store.close();
    const report = await verify({ auditFile: plain.auditFile, anchors, options });
    expect(report.valid).toBe(true);
    expect(report.signed_late).toEqual([{ from_seq: 1, to_seq: 4, cause: 'no_anchor' }]);
  });

  it('a start that dies right after opening the log (e.g. on damaged state) leaves it anchored', async () => {
    const plain = await writeLog(4, { signer: undefined, anchors: undefined });
    // A file anchor takes a while to write (atomic rename + fsync); a slow one shows the gap.
    class SlowAnchors extends MemoryAuditAnchorStore {
      override async write(anchor: Parameters<MemoryAuditAnchorStore['write']>[0]): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return super.write(anchor);
      }
    }
    const anchors = new SlowAnchors();
    const options = { ...plain.options, signer, anchors, checkpointIntervalMs: 3_600_000 };
    await JsonlAuditStore.open(options); // never closed: the process exits here
    expect((await anchors.read())?.seq).toBe((await readLines(plain.auditFile)).length);
    const next = await JsonlAuditStore.open(options);
    await next.close();
    expect((await verify({ auditFile: plain.auditFile, anchors, options })).valid).toBe(true);
  });

  it('a clean restart signs nothing late', async () => {
    const log = await writeLog(7);
    const store = await JsonlAuditStore.open(log.options);
    await store.close();
    expect((await verify(log)).signed_late).toEqual([]);
  });

  it('reports a log whose anchor is gone, and one signed by a key it does not trust', async () => {
    const log = await writeLog(6);
    const lost = await verify(log, { anchor: { value: null, location: 'the anchor' } });
    expect(lost.first_broken).toMatchObject({ reason: 'anchor_missing' });
    const other = trustedKeys([generateKeyPairSync('ed25519').publicKey]);
    const unknown = await verify(log, { keys: other });
    expect(unknown.first_broken).toMatchObject({ reason: 'checkpoint_invalid' });
    expect(unknown.first_broken!.message).toContain('not a trusted public key');
  });

  it('without a public key only the chain is checked: a recomputed log passes (what the key adds)', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    lines[7] = lines[7]!.replace('"actor":"agent-', '"actor":"mallory-');
    await writeLines(log.auditFile, rechain(lines, 7));
    const opened = await openSegments(nodeAuditFs, await logSegments(nodeAuditFs, log.auditFile));
    const report = await verifyOpened(opened).finally(() => closeSegments(opened));
    expect(report).toMatchObject({ valid: true, signatures_checked: false });
  });
});

describe('the running server’s own verify (GET /api/v1/audit/verify)', () => {
  it('also catches entries deleted after the last checkpoint: it knows what it wrote', async () => {
    const auditFile = join(root, `live-${++n}`, 'audit.jsonl');
    const anchors = new MemoryAuditAnchorStore();
    const store = await JsonlAuditStore.open({
      auditFile,
      fsync: false,
      signer,
      anchors,
      checkpointEveryEntries: 1000,
    });
    try {
      for (let i = 0; i < 6; i++) await store.append(input(i));
      expect(await store.verify()).toMatchObject({ valid: true, unanchored_entries: 6 });
      const lines = await readLines(auditFile);
      await writeLines(auditFile, lines.slice(0, -2));
      const report = await store.verify();
      expect(report.first_broken).toMatchObject({ reason: 'entries_missing_at_end', seq: 5 });
      expect(report.first_broken!.message).toContain('seq 5–6 are missing');
    } finally {
      await store.close();
    }
  });

  it('and a tail rewritten while it runs is exposed by its next checkpoint, which links to what it wrote', async () => {
    const auditFile = join(root, `live-${++n}`, 'audit.jsonl');
    const anchors = new MemoryAuditAnchorStore();
    const store = await JsonlAuditStore.open({
      auditFile,
      fsync: false,
      signer,
      anchors,
      checkpointEveryEntries: 1000,
    });
    for (let i = 0; i < 6; i++) await store.append(input(i));
    const lines = await readLines(auditFile);
    lines[3] = lines[3]!.replace('"actor":"agent-', '"actor":"mallory-');
    await writeLines(auditFile, rechain(lines, 3));
    await store.close();
    const opened = await openSegments(nodeAuditFs, await logSegments(nodeAuditFs, auditFile));
    const report = await verifyOpened(opened, {
      keys,
      anchor: { value: await anchors.read(), location: 'the anchor' },
    }).finally(() => closeSegments(opened));
    expect(report.first_broken).toMatchObject({ reason: 'prev_hash_mismatch', seq: 7 });
  });
});

describe('a key change', () => {
  it('keeps the older checkpoints verifiable with audit.previous_public_key_files, and only then', async () => {
    const log = await writeLog(7);
    const next = new AuditSigner(generateKeyPairSync('ed25519').privateKey, 'next');
    const store = await JsonlAuditStore.open({ ...log.options, signer: next });
    await store.append(input(99));
    await store.close();
    const both = await verify(log, { keys: trustedKeys([next.publicKey, signer.publicKey]) });
    expect(both).toMatchObject({ valid: true, unanchored_entries: 0 });
    const onlyNew = await verify(log, { keys: trustedKeys([next.publicKey]) });
    expect(onlyNew.first_broken).toMatchObject({ reason: 'checkpoint_invalid' });
    const reopened = await JsonlAuditStore.open({
      ...log.options,
      signer: next,
      previousKeys: [signer.publicKey],
    });
    expect(await reopened.verify()).toMatchObject({ valid: true });
    await reopened.close();
  });
});

describe('start-up against a log that no longer holds its anchor', () => {
  it('refuses to append after the last entries were deleted, until the loss is accepted and recorded', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    await writeLines(log.auditFile, lines.slice(0, -3));
    await expect(JsonlAuditStore.open(log.options)).rejects.toMatchObject({ code: 'audit_anchor_mismatch' });
    expect(await readLines(log.auditFile)).toHaveLength(lines.length - 3);

    const store = await JsonlAuditStore.open({ ...log.options, acceptAnchorLoss: true });
    expect(store.startup.warnings.map((w) => w.code)).toContain('audit_anchor_lost');
    const [reanchor] = (await store.query({ action: 'audit.reanchor' })).entries;
    expect(reanchor?.reason).toMatch(/ends at seq/);
    await store.close();
    expect(await verify(log)).toMatchObject({ valid: true });
  });

  it('refuses to start when the anchor was deleted but the log holds checkpoints', async () => {
    const log = await writeLog(6);
    await expect(
      JsonlAuditStore.open({ ...log.options, anchors: new MemoryAuditAnchorStore() }),
    ).rejects.toMatchObject({ code: 'audit_anchor_mismatch' });
  });

  it('a renamed file does not help: the anchored checkpoint must be the entry at its seq', async () => {
    const log = await writeLog(12);
    const lines = await readLines(log.auditFile);
    await rename(log.auditFile, `${log.auditFile}.bak`);
    await writeLines(log.auditFile, rechain(lines.slice(0, 3), 0));
    const report = await verify(log);
    expect(report.first_broken).toMatchObject({ reason: 'entries_missing_at_end' });
  });
});
