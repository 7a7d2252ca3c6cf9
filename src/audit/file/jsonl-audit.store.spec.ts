import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { type StateFileHandle } from '../../state/file/state-fs.js';
import { nodeAuditFs, type AuditFs } from './audit-fs.js';
import { GENESIS_HASH, type AuditEntry, type AuditEntryInput } from '../domain/audit-entry.js';
import { listRotated } from './audit-files.js';
import { JsonlAuditStore, type AuditWriteInfo, type JsonlAuditOptions } from './jsonl-audit.store.js';

type FaultyOp = 'mkdirp' | 'open' | 'write' | 'datasync' | 'truncate' | 'rename' | 'syncDir' | 'unlink';

/**
 * The real file system for tests, counting writes and fdatasyncs, and failing chosen
 * operations with an errno code on demand (`failures.write = 'ENOSPC'`).
 */
class FaultyAuditFs implements AuditFs {
  datasyncs = 0;
  writes = 0;
  readonly failures: Partial<Record<FaultyOp, string>> = {};
  /** With a write failure: write this many bytes of the data first (a short write). */
  partialBytes = 0;

  private fault(op: FaultyOp): void {
    const code = this.failures[op];
    if (code) throw Object.assign(new Error(`${code}: injected ${op} failure`), { code });
  }

  list = nodeAuditFs.list;
  openRead = nodeAuditFs.openRead;
  freeBytes = nodeAuditFs.freeBytes;
  readFile = nodeAuditFs.readFile;
  copyFile = nodeAuditFs.copyFile;
  mkdirp = async (dir: string) => {
    this.fault('mkdirp');
    await nodeAuditFs.mkdirp(dir);
  };
  unlink = async (path: string) => {
    this.fault('unlink');
    await nodeAuditFs.unlink(path);
  };
  rename = async (from: string, to: string) => {
    this.fault('rename');
    await nodeAuditFs.rename(from, to);
  };
  syncDir = async (dir: string) => {
    this.fault('syncDir');
    await nodeAuditFs.syncDir(dir);
  };
  open = async (path: string, mode: 'append' | 'create'): Promise<StateFileHandle> => {
    this.fault('open');
    const handle = await nodeAuditFs.open(path, mode);
    return {
      write: async (data) => {
        if (this.failures.write && this.partialBytes > 0)
          await handle.write(data.subarray(0, this.partialBytes));
        this.fault('write');
        this.writes += 1;
        await handle.write(data);
      },
      datasync: async () => {
        this.fault('datasync');
        this.datasyncs += 1;
        await handle.datasync();
      },
      sync: () => handle.sync(),
      truncate: async (length) => {
        this.fault('truncate');
        await handle.truncate(length);
      },
      close: () => handle.close(),
    };
  };
}

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhZ2VudC0wMDEiLCJ0YXNrX2lkIjoidDEifQ.bm90LWEtcmVhbC1zaWduYXR1cmUtYnV0LWxvbmc';

function input(over: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: 'agent-001',
    role: 'agent',
    action: 'tool.execute',
    decision: 'allowed',
    success: true,
    ...over,
  };
}

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'audit-jsonl-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const fresh = () => join(root, `case-${++n}`, 'audit.jsonl');

async function openStore(
  options: Partial<JsonlAuditOptions> & { auditFile: string },
): Promise<JsonlAuditStore> {
  return JsonlAuditStore.open({ clock: new ManualClock(Date.UTC(2026, 0, 1)), ...options });
}

/** Every line of the log on disk, oldest file first: [file name, parsed entry][]. */
async function onDisk(auditFile: string): Promise<{ file: string; entry: AuditEntry }[]> {
  const files = [...(await listRotated(nodeAuditFs, auditFile)).map((f) => f.path), auditFile];
  const out: { file: string; entry: AuditEntry }[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').filter(Boolean))
      out.push({ file, entry: JSON.parse(line) as AuditEntry });
  }
  return out;
}

describe('JsonlAuditStore', () => {
  it('writes one canonical JSON line per entry and resumes the chain after a restart', async () => {
    const auditFile = fresh();
    const store = await openStore({ auditFile });
    expect(store.startup).toEqual({ last_seq: 0, rotated_files: 0, warnings: [], recovery_entry_seq: null });
    const a = await store.append(
      input({ task_id: 't1', phase: 'TDD', tool: 'bash', args: { command: 'npm test' } }),
    );
    await store.close();
    const text = await readFile(auditFile, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2);
    expect(JSON.parse(text)).toEqual(a);
    expect(text.startsWith('{"seq":1,"ts":"2026-01-01T00:00:00.000Z","actor":"agent-001"')).toBe(true);

    const reopened = await openStore({ auditFile });
    expect(reopened.startup.last_seq).toBe(1);
    const b = await reopened.append(input());
    expect(b).toMatchObject({ seq: 2, prev_hash: a.hash });
    expect(await reopened.verify()).toMatchObject({ valid: true, entries: 2 });
    await reopened.close();
  });

  it('close waits for appends in flight, then refuses new ones', async () => {
    const auditFile = fresh();
    const store = await openStore({ auditFile });
    const inFlight = Array.from({ length: 10 }, (_, i) => store.append(input({ request_id: `r${i}` })));
    await store.close();
    expect((await Promise.all(inFlight)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await readFile(auditFile, 'utf8')).split('\n').filter(Boolean)).toHaveLength(10);
    await expect(store.append(input())).rejects.toMatchObject({ code: 'audit_closed' });
  });

  it('group-commits concurrent appends: one write and one fdatasync per batch', async () => {
    const fs = new FaultyAuditFs();
    const writes: AuditWriteInfo[] = [];
    const store = await openStore({ auditFile: fresh(), fs, onWrite: (w) => writes.push(w) });
    const before = fs.datasyncs;
    const entries = await Promise.all(
      Array.from({ length: 300 }, (_, i) => store.append(input({ request_id: `r${i}` }))),
    );
    const syncs = fs.datasyncs - before;
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThanOrEqual(3);
    expect(writes.reduce((sum, w) => sum + w.entries, 0)).toBe(300);
    expect(writes).toHaveLength(syncs);
    expect(writes.every((w) => w.bytes > 0 && w.seconds >= 0)).toBe(true);
    await store.close();
  });

  it('sequential appends each get their own fdatasync before resolving', async () => {
    const fs = new FaultyAuditFs();
    const store = await openStore({ auditFile: fresh(), fs });
    const before = fs.datasyncs;
    for (let i = 0; i < 5; i++) await store.append(input());
    expect(fs.datasyncs - before).toBe(5);
    await store.close();
  });

  it('skips fdatasync when fsync is off (benchmarks only)', async () => {
    const fs = new FaultyAuditFs();
    const store = await openStore({ auditFile: fresh(), fs, fsync: false });
    await Promise.all(Array.from({ length: 20 }, () => store.append(input())));
    expect(fs.datasyncs).toBe(0);
    expect(fs.writes).toBeGreaterThan(0);
    await store.close();
  });

  it('rotates by entry count, names files by seq range and continues the chain across them', async () => {
    const auditFile = fresh();
    const store = await openStore({ auditFile, maxEntries: 10, retainFiles: 100 });
    for (let i = 0; i < 95; i++) await store.append(input({ request_id: `r${i}` }));
    const rotated = await listRotated(nodeAuditFs, auditFile);
    expect(rotated.map((f) => f.name)).toEqual(
      Array.from({ length: 9 }, (_, i) => {
        const pad = (x: number) => String(x).padStart(12, '0');
        return `audit.jsonl.${pad(i * 10 + 1)}-${pad(i * 10 + 10)}`;
      }),
    );
    const lines = await onDisk(auditFile);
    expect(lines.map((l) => l.entry.seq)).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
    const perFile = new Map<string, number>();
    for (const l of lines) perFile.set(l.file, (perFile.get(l.file) ?? 0) + 1);
    expect([...perFile.values()]).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    // The first entry of each file links to the last entry of the one before.
    expect(lines[10]!.entry.prev_hash).toBe(lines[9]!.entry.hash);
    expect(lines[0]!.entry.prev_hash).toBe(GENESIS_HASH);
    expect(await store.verify()).toMatchObject({ valid: true, entries: 95, files: 10, starts_after_seq: 0 });
    await store.close();
  });

  it('rotates before a file would exceed its size limit', async () => {
    const auditFile = fresh();
    const limit = 4096;
    const store = await openStore({ auditFile, rotateSizeBytes: limit, retainFiles: 100 });
    for (let i = 0; i < 60; i++) await store.append(input({ args: { note: 'x'.repeat(i * 10) } }));
    const files = [...(await listRotated(nodeAuditFs, auditFile)).map((f) => f.path), auditFile];
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect((await stat(file)).size).toBeLessThanOrEqual(limit);
    expect(await store.verify()).toMatchObject({ valid: true, entries: 60 });
    await store.close();
  });

  it('keeps at most retain_files rotated files, recording each deletion first; verify accepts the deleted history', async () => {
    const auditFile = fresh();
    const store = await openStore({ auditFile, maxEntries: 5, retainFiles: 3 });
    for (let i = 0; i < 42; i++) await store.append(input({ task_id: `t${i % 4}` }));
    const rotated = await listRotated(nodeAuditFs, auditFile);
    expect(rotated).toHaveLength(3);
    const firstKept = rotated[0]!.firstSeq;
    const report = await store.verify();
    expect(report).toMatchObject({ valid: true, first_seq: firstKept, starts_after_seq: firstKept - 1 });
    // Every deleted file is named by an audit.prune entry, the newest covering all before the kept ones.
    const prunes = (await store.query({ action: 'audit.prune', limit: 1000 })).entries;
    expect(prunes.length).toBeGreaterThan(0);
    expect(prunes[0]!.details).toMatchObject({ pruned_through_seq: firstKept - 1, retain_files: 3 });
    const page = await store.query({ task_id: 't1', limit: 1000 });
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.every((e) => e.seq >= firstKept)).toBe(true);
    expect((await store.stats()).total).toBe(report.entries);
    await store.close();
  });

  it('stays gap-free and valid under hundreds of concurrent appends across rotations, while reading', async () => {
    const auditFile = fresh();
    const fs = new FaultyAuditFs();
    const store = await openStore({ auditFile, fs, maxEntries: 7, rotateSizeBytes: 3000, retainFiles: 1000 });
    let stop = false;
    const reads: Promise<void>[] = [];
    // Readers run during rotations: every page they see is strictly newest-first, no duplicates.
    for (let r = 0; r < 3; r++) {
      reads.push(
        (async () => {
          while (!stop) {
            const seqs = (await store.query({ limit: 50 })).entries.map((e) => e.seq);
            for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! - 1);
            await new Promise((resolve) => setImmediate(resolve));
          }
        })(),
      );
    }
    const waves = await Promise.all(
      Array.from({ length: 4 }, (_, wave) =>
        Promise.all(
          Array.from({ length: 150 }, (_, i) => store.append(input({ request_id: `w${wave}-${i}` }))),
        ),
      ),
    );
    stop = true;
    await Promise.all(reads);
    const seqs = waves.flat().map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(fs.datasyncs).toBeLessThan(600 / 2);
    const lines = await onDisk(auditFile);
    expect(lines.map((l) => l.entry.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(await store.verify()).toMatchObject({ valid: true, entries: 600, starts_after_seq: 0 });
    expect((await listRotated(nodeAuditFs, auditFile)).length).toBeGreaterThanOrEqual(600 / 7 - 1);
    await store.close();
  });

  it('never writes token or secret text; long content is kept as length and SHA-256', async () => {
    const auditFile = fresh();
    const content = `const secret = "do-not-log-me";\n${'// filler\n'.repeat(400)}`;
    const store = await openStore({
      auditFile,
      maxEntries: 3,
      secrets: undefined,
      redaction: { secrets: ['my-signing-secret-1234'] },
    } as never);
    await store.append(input({ tool: 'write_files', args: { path: 'src/a.ts', content } }));
    await store.append(
      input({ tool: 'bash', args: { command: `curl -H "Authorization: Bearer ${JWT}" https://x` } }),
    );
    await store.append(input({ action: 'token.mint', args: { token: 'opaque-token-value', ttl: 60 } }));
    await store.append(
      input({ args: { config: { db: { password: 'hunter2-password' } } }, details: { jwt: JWT } }),
    );
    await store.append(
      input({
        action: 'auth.failure',
        reason: `invalid token ${JWT}`,
        actor: JWT,
        decision: 'denied',
        success: false,
      }),
    );
    await store.append(input({ args: { env: 'SIGNING=my-signing-secret-1234' } }));
    await store.close();

    const names = await readdir(join(auditFile, '..'));
    expect(names.length).toBeGreaterThan(1);
    const everything = (
      await Promise.all(names.map((name) => readFile(join(auditFile, '..', name), 'utf8')))
    ).join('\n');
    for (const secret of [
      JWT,
      'eyJ',
      'do-not-log-me',
      'opaque-token-value',
      'hunter2-password',
      'my-signing-secret-1234',
    ]) {
      expect(everything).not.toContain(secret);
    }
    const { createHash } = await import('node:crypto');
    expect(everything).toContain(
      `"content":{"length":${Buffer.byteLength(content)},"sha256":"${createHash('sha256').update(content).digest('hex')}"}`,
    );
  });

  it("reads each rotated file once for stats, and skips files outside a query's time range", async () => {
    const auditFile = fresh();
    const reads = new Map<string, number>();
    const fs = new FaultyAuditFs();
    fs.openRead = async (path: string) => {
      const handle = await nodeAuditFs.openRead(path);
      if (!handle) return null;
      return {
        size: handle.size,
        close: () => handle.close(),
        read: (position: number, length: number) => {
          reads.set(path, (reads.get(path) ?? 0) + 1);
          return handle.read(position, length);
        },
      };
    };
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = await openStore({ auditFile, fs, clock, maxEntries: 10, retainFiles: 100, fsync: false });
    for (let i = 0; i < 45; i++) {
      await store.append(input({ tool: i % 3 === 0 ? 'bash' : 'read_files', success: i % 4 !== 0 }));
      clock.advance(1000);
    }
    const all = (await onDisk(auditFile)).map((l) => l.entry);
    const brute = (since: string) => {
      const bound = new Date(since).toISOString();
      const inRange = all.filter((e) => e.ts >= bound);
      return { total: inRange.length, successes: inRange.filter((e) => e.success).length };
    };

    const first = await store.stats();
    expect(first).toMatchObject(brute('2026'));
    expect(first.total).toBe(45);
    reads.clear();
    const second = await store.stats();
    expect(second).toEqual(first);
    expect([...reads.keys()]).toEqual([auditFile]); // rotated files came from the cache

    for (const since of ['2026-01-01T00:00:05Z', '2026-01-01T00:00:25Z', '2026-01-01T00:00:44Z']) {
      expect(await store.stats({ since })).toMatchObject(brute(since));
    }

    reads.clear();
    const page = await store.query({ since: '2026-01-01T00:00:38Z' });
    expect(page.entries.map((e) => e.seq)).toEqual([45, 44, 43, 42, 41, 40, 39]);
    expect([...reads.keys()].sort()).toEqual([auditFile, `${auditFile}.000000000031-000000000040`]);
    await store.close();
  });

  it('stops reading the current file backwards at the first entry well before `since`', async () => {
    const auditFile = fresh();
    let bytesRead = 0;
    const fs = new FaultyAuditFs();
    fs.openRead = async (path: string) => {
      const handle = await nodeAuditFs.openRead(path);
      if (!handle) return null;
      return {
        size: handle.size,
        close: () => handle.close(),
        read: async (position: number, length: number) => {
          const bytes = await handle.read(position, length);
          bytesRead += bytes.length;
          return bytes;
        },
      };
    };
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = await openStore({ auditFile, fs, clock, maxEntries: 100_000, fsync: false });
    // Two hours of entries, one every 5 s, all in the current file; denials every tenth.
    for (let i = 0; i < 1440; i++) {
      await store.append(input({ decision: i % 10 === 0 ? 'denied' : 'allowed' }));
      clock.advance(5000);
    }
    const size = (await stat(auditFile)).size;
    bytesRead = 0;
    const since = new Date(clock.now() - 600_000).toISOString();
    const page = await store.query({ decision: 'denied', since, limit: 1000 });
    expect(page.entries).toHaveLength(12);
    expect(page.entries.every((e) => e.ts >= since && e.decision === 'denied')).toBe(true);
    // The last 10 minutes and the 5-minute slack: about an eighth of the file, not all of it.
    expect(bytesRead).toBeLessThan(size / 4);

    // An entry stamped more than the slack before `since` ends the read: an older entry that
    // a clock stepped back stamped later is not reached.
    clock.set(Date.UTC(2026, 0, 2));
    const late = await store.append(input({ actor: 'late' }));
    clock.set(Date.UTC(2026, 0, 1, 12));
    await store.append(input({ actor: 'early' }));
    clock.set(Date.UTC(2026, 0, 2, 0, 1));
    const newest = await store.append(input({ actor: 'late' }));
    const found = await store.query({ since: '2026-01-01T23:00:00Z' });
    expect(found.entries.map((e) => e.seq)).toEqual([newest.seq]);
    expect(late.seq).toBe(newest.seq - 2);
    await store.close();
  });

  describe('write failures', () => {
    it('rejects with audit_write_failed and acknowledges nothing when the disk is full', async () => {
      const auditFile = fresh();
      const fs = new FaultyAuditFs();
      const store = await openStore({ auditFile, fs });
      await store.append(input({ request_id: 'before' }));
      const size = (await stat(auditFile)).size;
      fs.failures.write = 'ENOSPC';
      fs.partialBytes = 100; // a short write leaves part of the batch behind
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.append(input())));
      for (const result of results) {
        expect(result).toMatchObject({
          status: 'rejected',
          reason: { kind: 'unavailable', code: 'audit_write_failed' },
        });
        expect((result as PromiseRejectedResult).reason.message).toContain('ENOSPC');
      }
      // The unacknowledged bytes were truncated away; readers never saw them.
      expect((await stat(auditFile)).size).toBe(size);
      expect((await store.recent(10)).map((e) => e.request_id)).toEqual(['before']);
      expect(await store.health()).toMatchObject({
        details: { last_error: expect.stringContaining('ENOSPC') },
      });

      delete fs.failures.write;
      const after = await store.append(input({ request_id: 'after' }));
      expect(after.seq).toBe(2);
      expect(await store.verify()).toMatchObject({ valid: true, entries: 2, recovered: [] });
      expect(await store.health()).toMatchObject({ status: 'up' });
      await store.close();
    });

    it('fails the batch when fdatasync fails (EIO), and continues from what is on disk', async () => {
      const auditFile = fresh();
      const fs = new FaultyAuditFs();
      const store = await openStore({ auditFile, fs });
      await store.append(input());
      fs.failures.datasync = 'EIO';
      await expect(store.append(input())).rejects.toMatchObject({ code: 'audit_write_failed' });
      delete fs.failures.datasync;
      expect((await store.append(input())).seq).toBe(2);
      expect(await store.verify()).toMatchObject({ valid: true, entries: 2 });
      await store.close();
    });

    it('when even the truncate fails, the next write records the torn bytes and the chain stays valid', async () => {
      const auditFile = fresh();
      const fs = new FaultyAuditFs();
      const warnings: string[] = [];
      const store = await openStore({ auditFile, fs, onWarning: (w) => warnings.push(w.code) });
      await store.append(input());
      fs.failures.write = 'EROFS';
      fs.failures.truncate = 'EROFS';
      fs.partialBytes = 57;
      await expect(store.append(input())).rejects.toMatchObject({ code: 'audit_write_failed' });
      expect((await stat(auditFile)).size).toBeGreaterThan(0);
      delete fs.failures.write;
      delete fs.failures.truncate;
      const next = await store.append(input({ request_id: 'next' }));
      expect(warnings).toEqual(['audit_torn_tail']);
      expect(next.seq).toBe(3); // seq 2 is the audit.recover entry
      const [, recover] = (await store.recent(3)).slice().reverse();
      expect(recover).toMatchObject({
        seq: 2,
        action: 'audit.recover',
        details: { torn_bytes: 57, resumed_after_seq: 1 },
      });
      expect(await store.verify()).toMatchObject({
        valid: true,
        entries: 3,
        recovered: [{ line: 2, bytes: 57, seq: 2 }],
      });
      await store.close();
    });

    it('acknowledges the entries written before a failed rotation and retries the rotation later', async () => {
      const auditFile = fresh();
      const fs = new FaultyAuditFs();
      const store = await openStore({ auditFile, fs, maxEntries: 4, retainFiles: 100 });
      await store.append(input());
      await store.append(input());
      fs.failures.rename = 'EACCES';
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.append(input())));
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
      ]);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'audit_write_failed' });
      delete fs.failures.rename;
      expect((await store.append(input())).seq).toBe(5);
      expect((await listRotated(nodeAuditFs, auditFile)).map((f) => [f.firstSeq, f.lastSeq])).toEqual([
        [1, 4],
      ]);
      expect(await store.verify()).toMatchObject({ valid: true, entries: 5 });
      await store.close();
    });

    it('recovers when the new file cannot be created after the rename', async () => {
      const auditFile = fresh();
      const fs = new FaultyAuditFs();
      const store = await openStore({ auditFile, fs, maxEntries: 2, retainFiles: 100 });
      await store.append(input());
      await store.append(input());
      fs.failures.open = 'EMFILE';
      await expect(store.append(input())).rejects.toMatchObject({ code: 'audit_write_failed' });
      expect(await store.health()).toMatchObject({ status: 'down' });
      delete fs.failures.open;
      expect(await store.health()).toMatchObject({ status: 'up' });
      expect((await store.append(input())).seq).toBe(3);
      expect(await store.verify()).toMatchObject({ valid: true, entries: 3, files: 2 });
      await store.close();
    });

    it('fails to open with audit_write_failed when the directory cannot be created or the file opened', async () => {
      const fs = new FaultyAuditFs();
      fs.failures.mkdirp = 'EACCES';
      await expect(openStore({ auditFile: fresh(), fs })).rejects.toMatchObject({
        code: 'audit_write_failed',
        message: expect.stringContaining('EACCES'),
      });
      delete fs.failures.mkdirp;
      fs.failures.open = 'EROFS';
      await expect(openStore({ auditFile: fresh(), fs })).rejects.toMatchObject({
        code: 'audit_write_failed',
      });
    });

    it('reports a failed retention delete as a warning, not a write failure', async () => {
      const auditFile = fresh();
      const fs = new FaultyAuditFs();
      const warnings: string[] = [];
      const store = await openStore({
        auditFile,
        fs,
        maxEntries: 1,
        retainFiles: 1,
        onWarning: (w) => warnings.push(w.code),
      });
      fs.failures.unlink = 'EBUSY';
      for (let i = 0; i < 4; i++) await store.append(input());
      expect(warnings.length).toBeGreaterThan(0);
      expect(new Set(warnings)).toEqual(new Set(['audit_retention_failed']));
      delete fs.failures.unlink;
      await store.append(input());
      expect((await listRotated(nodeAuditFs, auditFile)).length).toBe(1);
      await store.close();
    });
  });

  it('adds a suffix rather than overwrite an existing rotated file', async () => {
    const auditFile = fresh();
    const store = await openStore({ auditFile, maxEntries: 2, retainFiles: 100 });
    await store.append(input());
    await store.append(input());
    await writeFile(join(auditFile, '..', 'audit.jsonl.000000000001-000000000002'), 'a restored copy\n');
    await store.append(input());
    const names = (await listRotated(nodeAuditFs, auditFile)).map((f) => f.name);
    expect(names).toEqual([
      'audit.jsonl.000000000001-000000000002',
      'audit.jsonl.000000000001-000000000002.1',
    ]);
    expect(await readFile(join(auditFile, '..', names[0]!), 'utf8')).toBe('a restored copy\n');
    await store.close();
  });
});
