/**
 * Disk full: the state directory and the audit directory each live on a tiny tmpfs of their own,
 * which is filled mid-run. (As root, chmod does not stop writes, and a file already open keeps
 * working after a chmod; a full file system stops every write.) Requests that need a write must
 * fail with 503 `state_write_failed` / `audit_write_failed`, nothing acknowledged may be missing,
 * nothing refused with state_write_failed may exist, and the server must recover by itself once
 * space is freed. Needs root and permission to mount tmpfs (CI runs as root); fails otherwise, so
 * that a run which could not test this never reads as a pass.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { accessToken } from '../support/tokens.js';
import { startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { sleep, tryFetch } from './support.js';

function mountTmpfs(path: string, size: string): boolean {
  mkdirSync(path, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]).status === 0;
}

const probe = join(tempDir(), 'probe');
const canMount = process.getuid?.() === 0 && mountTmpfs(probe, '1m');
if (canMount) spawnSync('umount', [probe]);

/** Fills the file system holding `dir` until a write fails with ENOSPC. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024, 120);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  try {
    for (;;) writeSync(fd, chunk.subarray(0, 1));
  } catch {
    // full to the byte
  }
  closeSync(fd);
  return path;
}

describe('disk full: writes fail with a clear 503, nothing unwritten is acknowledged, recovery', () => {
  let server: ServerProcess | undefined;
  let dir: string;
  let stateMnt: string;
  let auditMnt: string;
  const operator = accessToken('operator', 'disk-operator');

  beforeAll(() => {
    if (!canMount) throw new Error('the disk-full test needs root and permission to mount a tmpfs');
    dir = tempDir();
    stateMnt = join(dir, 'state-fs');
    auditMnt = join(dir, 'audit-fs');
    if (!mountTmpfs(stateMnt, '4m') || !mountTmpfs(auditMnt, '4m')) throw new Error('mount failed');
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
    spawnSync('umount', ['-l', stateMnt]);
    spawnSync('umount', ['-l', auditMnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (reuse?: string) =>
    startServer({
      dir: reuse ?? dir,
      env: {
        ORCHESTRATOR_STATE_FILE: join(stateMnt, 'state.json'),
        ORCHESTRATOR_AUDIT_FILE: join(auditMnt, 'audit.jsonl'),
      },
    });

  async function allTasks(base: string): Promise<Array<{ id: string; title: string }>> {
    const tasks: Array<{ id: string; title: string }> = [];
    let cursor: string | null = null;
    do {
      const page = await tryFetch(
        `${base}/api/v1/tasks?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: operator },
      );
      expect(page.status).toBe(200);
      tasks.push(...(page.body!.tasks as Array<{ id: string; title: string }>));
      cursor = page.body!.next_cursor as string | null;
    } while (cursor);
    return tasks;
  }

  const titles = async (base: string) => new Set((await allTasks(base)).map((t) => t.title));

  /** Task ids with a `task.create` audit entry. */
  async function auditedCreations(base: string): Promise<Set<string>> {
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const page = await tryFetch(
        `${base}/api/v1/audit/query?action=task.create&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token: operator },
      );
      expect(page.status).toBe(200);
      for (const e of page.body!.entries as Array<{ task_id: string }>) ids.add(e.task_id);
      cursor = page.body!.next_cursor as string | null;
    } while (cursor);
    return ids;
  }

  /** Creates tasks one by one until several in a row are refused; returns each outcome. */
  async function createUntilRefused(base: string, label: string, max = 400) {
    const outcomes: Array<{ title: string; status: number; code?: string }> = [];
    let refusedInARow = 0;
    for (let i = 0; i < max && refusedInARow < 5; i++) {
      const title = `${label} ${i}`;
      const res = await tryFetch(`${base}/api/v1/tasks`, {
        method: 'POST',
        token: operator,
        json: { title },
      });
      outcomes.push({ title, status: res.status, code: res.body?.code as string | undefined });
      refusedInARow = res.status === 201 ? 0 : refusedInARow + 1;
    }
    return outcomes;
  }

  async function recovers(base: string, label: string): Promise<string> {
    const deadline = Date.now() + 15_000;
    for (let i = 0; Date.now() < deadline; i++) {
      const title = `${label} after ${i}`;
      const res = await tryFetch(`${base}/api/v1/tasks`, {
        method: 'POST',
        token: operator,
        json: { title },
      });
      if (res.status === 201) return title;
      expect(res.status).toBe(503);
      await sleep(250);
    }
    throw new Error(`${label}: no recovery within 15 s of freeing space`);
  }

  it.each([
    ['state', 'state_write_failed'],
    ['audit', 'audit_write_failed'],
  ])('the %s file system fills up: 503 %s, then recovery', async (which, code) => {
    server ??= await start();
    const base = server.url;
    const before = await createUntilRefused(base, `${which} warm-up`, 5);
    expect(before.every((o) => o.status === 201)).toBe(true);

    const filler = fill(which === 'state' ? stateMnt : auditMnt);
    const outcomes = await createUntilRefused(base, `${which} full`);
    const refused = outcomes.filter((o) => o.status !== 201);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    for (const o of refused) expect(o).toMatchObject({ status: 503, code });
    if (which === 'audit') {
      const holder = accessToken('agent', 'disk-agent');
      const claim = await tryFetch(`${base}/api/v1/tasks/claim`, { method: 'POST', token: holder, json: {} });
      expect(claim.status).toBe(503);
      expect(claim.body).toMatchObject({ code });
    }

    rmSync(filler);
    const after = await recovers(base, which);

    const present = await titles(base);
    for (const o of [...before, ...outcomes]) {
      if (o.status === 201) expect(present.has(o.title)).toBe(true);
      // state_write_failed: nothing was changed; audit_write_failed: the change may be stored (and
      // its entry written late), never acknowledged.
      if (o.code === 'state_write_failed') expect(present.has(o.title)).toBe(false);
    }
    expect(present.has(after)).toBe(true);
    // A change stored while the audit log was full is audited once it is writable again.
    const audited = await auditedCreations(base);
    for (const t of await allTasks(base)) expect(audited.has(t.id)).toBe(true);
    const verify = await tryFetch(`${base}/api/v1/audit/verify`, { token: operator });
    expect(verify.body).toMatchObject({ valid: true });

    // And it is on disk, not just in memory: kill and restart.
    server.child.kill('SIGKILL');
    await server.exited;
    server = await start();
    const restarted = await titles(server.url);
    for (const o of [...before, ...outcomes]) if (o.status === 201) expect(restarted.has(o.title)).toBe(true);
    expect(restarted.has(after)).toBe(true);
    expect((await tryFetch(`${server.url}/api/v1/audit/verify`, { token: operator })).body).toMatchObject({
      valid: true,
    });
  });
});
