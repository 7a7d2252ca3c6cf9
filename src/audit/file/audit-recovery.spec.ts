import { appendFile, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { type AuditEntryInput } from '../domain/audit-entry.js';
import { type AuditVerifyReport } from '../domain/audit-verify.js';
import { listRotated, logSegments } from './audit-files.js';
import { nodeAuditFs } from './audit-fs.js';
import { closeSegments, openSegments, verifyOpened } from './audit-log-reader.js';
import { JsonlAuditStore } from './jsonl-audit.store.js';

const input = (over: Partial<AuditEntryInput> = {}): AuditEntryInput => ({
  actor: 'agent-001',
  role: 'agent',
  action: 'tool.authorize',
  decision: 'allowed',
  success: true,
  args: { path: 'src/index.ts' },
  ...over,
});

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'audit-recovery-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const open = (auditFile: string, more: Partial<Parameters<typeof JsonlAuditStore.open>[0]> = {}) =>
  JsonlAuditStore.open({ auditFile, clock: new ManualClock(Date.UTC(2026, 0, 1)), ...more });

/** A log of `count` entries written and closed, in a fresh directory. */
async function logWith(count: number, maxEntries = 1000): Promise<string> {
  const auditFile = join(root, `case-${++n}`, 'audit.jsonl');
  const store = await open(auditFile, { maxEntries, retainFiles: 100, fsync: false });
  for (let i = 0; i < count; i++) await store.append(input({ request_id: `r${i + 1}` }));
  await store.close();
  return auditFile;
}

/** Verifies the files on disk without opening a store (as the CLI does). */
async function verifyOnDisk(auditFile: string): Promise<AuditVerifyReport> {
  const opened = await openSegments(nodeAuditFs, await logSegments(nodeAuditFs, auditFile));
  try {
    return await verifyOpened(opened);
  } finally {
    await closeSegments(opened);
  }
}

describe('start-up after a torn or damaged tail', () => {
  it('reports a torn last line, keeps it, and resumes the chain after the last intact entry', async () => {
    const auditFile = await logWith(5);
    const fragment = '{"seq":6,"ts":"2026-01-01T00:00:00.000Z","actor":"agent-0';
    await appendFile(auditFile, fragment);
    const before = await readFile(auditFile);
    expect(await verifyOnDisk(auditFile)).toMatchObject({
      valid: true,
      entries: 5,
      torn_tail: { file: 'audit.jsonl', line: 6, bytes: fragment.length },
    });

    const warnings: string[] = [];
    const store = await open(auditFile, { onWarning: (w) => warnings.push(w.code) });
    expect(store.startup.warnings.map((w) => w.code)).toEqual(['audit_torn_tail']);
    expect(store.startup.warnings[0]!.message).toContain('resumes after seq 5');
    expect(warnings).toEqual([]); // start-up warnings are returned, not also pushed
    expect(store.startup.recovery_entry_seq).toBe(6);
    const next = await store.append(input({ request_id: 'after-restart' }));
    expect(next.seq).toBe(7);
    await store.close();

    const after = await readFile(auditFile);
    expect(after.subarray(0, before.length).equals(before)).toBe(true); // nothing rewritten
    expect(after.subarray(before.length, before.length + 1).toString()).toBe('\n');
    const report = await verifyOnDisk(auditFile);
    expect(report).toMatchObject({
      valid: true,
      entries: 7,
      recovered: [{ file: 'audit.jsonl', line: 6, bytes: fragment.length, seq: 6 }],
      torn_tail: null,
    });
  });

  it('resumes after a last line that lost only its newline', async () => {
    const auditFile = await logWith(3);
    const text = await readFile(auditFile, 'utf8');
    await writeFile(auditFile, text.slice(0, -1));
    const store = await open(auditFile);
    expect(store.startup.warnings).toEqual([]);
    expect(store.startup.recovery_entry_seq).toBe(4);
    expect((await store.append(input())).seq).toBe(5);
    await store.close();
    expect(await verifyOnDisk(auditFile)).toMatchObject({ valid: true, entries: 5, recovered: [] });
  });

  it('reports a damaged complete last line; the chain resumes before it and verify still flags it', async () => {
    const auditFile = await logWith(4);
    const text = await readFile(auditFile, 'utf8');
    const lines = text.split('\n');
    lines[3] = lines[3]!.replace('"allowed"', '"denied"');
    await writeFile(auditFile, lines.join('\n'));
    const store = await open(auditFile);
    expect(store.startup.warnings.map((w) => w.code)).toEqual(['audit_corrupt_tail']);
    expect((await store.append(input())).seq).toBe(5); // seq 4 is the recovery entry
    await store.close();
    expect((await verifyOnDisk(auditFile)).first_broken).toMatchObject({
      seq: 4,
      file: 'audit.jsonl',
      line: 4,
      reason: 'hash_mismatch',
    });
  });

  it('resumes from the newest rotated file when the current file holds only a torn line', async () => {
    const auditFile = await logWith(6, 3);
    // As if the crash came during the first write after a rotation.
    await rename(auditFile, `${auditFile}.000000000004-000000000006`);
    await writeFile(auditFile, '{"seq":7,"ts":"2026-01');
    const store = await open(auditFile, { maxEntries: 3 });
    expect(store.startup.warnings.map((w) => w.code)).toEqual(['audit_torn_tail']);
    expect(store.startup.last_seq).toBe(7);
    await store.append(input());
    await store.close();
    expect(await verifyOnDisk(auditFile)).toMatchObject({
      valid: true,
      entries: 8,
      recovered: [{ line: 1, seq: 7 }],
    });
  });

  it('resumes when a crash came between the rename and the creation of the new file', async () => {
    const auditFile = await logWith(4);
    await rename(auditFile, `${auditFile}.000000000001-000000000004`);
    const store = await open(auditFile);
    expect(store.startup).toMatchObject({ last_seq: 4, warnings: [], rotated_files: 1 });
    expect((await store.append(input())).seq).toBe(5);
    await store.close();
    expect(await verifyOnDisk(auditFile)).toMatchObject({ valid: true, entries: 5, files: 2 });
  });

  it('reads only the tail of a large file at start-up', async () => {
    const auditFile = await logWith(2000);
    let read = 0;
    const counting = {
      ...nodeAuditFs,
      openRead: async (path: string) => {
        const handle = await nodeAuditFs.openRead(path);
        return (
          handle && {
            ...handle,
            size: handle.size,
            read: (position: number, length: number) => {
              read += length;
              return handle.read(position, length);
            },
          }
        );
      },
    };
    const store = await open(auditFile, { fs: counting });
    expect(store.startup.last_seq).toBe(2000);
    await store.close();
    expect(read).toBeLessThan(200_000);
    expect((await readFile(auditFile)).length).toBeGreaterThan(read * 3);
  });
});

describe('tampering on disk', () => {
  it('reports the seq and line of any edited byte, in the current and in rotated files', async () => {
    const auditFile = await logWith(13, 5);
    const files = [...(await listRotated(nodeAuditFs, auditFile)).map((f) => f.path), auditFile];
    expect(files).toHaveLength(3);
    // Line 3 of every file: seq 3, 8 and 13 (the last line of the current file).
    for (const [index, file] of files.entries()) {
      const original = await readFile(file);
      const lineStart = original.toString('latin1').split('\n').slice(0, 2).join('\n').length + 1;
      const lineEnd = original.indexOf(0x0a, lineStart);
      for (const offset of [
        lineStart,
        lineStart + 7,
        lineStart + 60,
        lineStart + 200,
        lineEnd - 3,
        lineEnd - 1,
      ]) {
        const edited = Buffer.from(original);
        edited[offset] = edited[offset] === 0x30 ? 0x31 : 0x30;
        await writeFile(file, edited);
        const report = await verifyOnDisk(auditFile);
        expect(report.valid).toBe(false);
        expect(report.first_broken).toMatchObject({ seq: [3, 8, 13][index], line: 3 });
        expect(report.first_broken!.file).toBe(file.slice(file.lastIndexOf('/') + 1));
      }
      await writeFile(file, original);
    }
    expect(await verifyOnDisk(auditFile)).toMatchObject({ valid: true, entries: 13 });
  });

  it('reports a deleted line, a deleted rotated file and a re-ordered pair', async () => {
    const auditFile = await logWith(12, 5);
    const [first, second] = await listRotated(nodeAuditFs, auditFile);
    const original = await readFile(second!.path, 'utf8');
    const lines = original.split('\n');

    await writeFile(second!.path, [...lines.slice(0, 2), ...lines.slice(3)].join('\n'));
    expect((await verifyOnDisk(auditFile)).first_broken).toMatchObject({
      seq: 8,
      line: 3,
      reason: 'missing_entry',
      file: second!.name,
    });

    await writeFile(second!.path, [lines[1], lines[0], ...lines.slice(2)].join('\n'));
    expect((await verifyOnDisk(auditFile)).first_broken).toMatchObject({ seq: 6, line: 1 });

    await writeFile(second!.path, original);
    await rm(second!.path);
    expect((await verifyOnDisk(auditFile)).first_broken).toMatchObject({
      seq: 6,
      file: 'audit.jsonl',
      line: 1,
      reason: 'missing_entry',
    });
    expect(first).toBeDefined();
  });

  it('reports a truncated rotated file by its name', async () => {
    const auditFile = await logWith(12, 5);
    const [first] = await listRotated(nodeAuditFs, auditFile);
    const lines = (await readFile(first!.path, 'utf8')).split('\n');
    await writeFile(first!.path, `${lines.slice(0, 4).join('\n')}\n`);
    expect((await verifyOnDisk(auditFile)).first_broken).toMatchObject({
      reason: 'file_name_mismatch',
      file: first!.name,
    });
  });
});
