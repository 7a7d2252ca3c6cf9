/**
 * Crash: SIGKILL the server at a random moment while agents claim, transition and call tools, then
 * restart it on the same directory. Everything it acknowledged with a 2xx must still be there: the
 * task, its claim, its phase, and the audit entries of the acknowledged tool calls; the audit chain
 * verifies and the server is ready. ROUNDS rounds (RELIABILITY_CRASH_ROUNDS, default 20).
 */
import { accessToken } from '../support/tokens.js';
import { disposeServer, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { PHASES, sleep, tryFetch, WALK } from './support.js';

const ROUNDS = Number(process.env.RELIABILITY_CRASH_ROUNDS ?? 20);
const WORKERS = 8;

interface Acked {
  /** Its creation was acknowledged (a task created just before a kill may exist unacknowledged). */
  created: boolean;
  claimedBy: string | null;
  phase: string;
  authorized: number;
}

describe('crash: SIGKILL at random points loses nothing acknowledged', () => {
  let server: ServerProcess | undefined;
  afterAll(() => disposeServer(server));

  it(`survives ${ROUNDS} kills during concurrent claims, transitions and tool calls`, async () => {
    const dir = tempDir();
    const operator = accessToken('operator', 'crash-operator');
    const acked = new Map<string, Acked>();
    // Ids touched since the last restart: checked after each restart; all of them at the end.
    let touched = new Set<string>();
    let totalAcks = 0;

    const worker = async (base: string, round: number, w: number, running: () => boolean) => {
      const agentId = `crash-agent-${round}-${w}`;
      const agent = accessToken('agent', agentId);
      while (running()) {
        const created = await tryFetch(`${base}/api/v1/tasks`, {
          method: 'POST',
          token: operator,
          json: { title: `crash ${round}/${w}`, priority: 1 },
        });
        if (created.status !== 201) return;
        const createdId = created.body!.id as string;
        // Another worker may already have claimed it (and recorded it) before this answer arrived.
        const known = acked.get(createdId);
        if (known) known.created = true;
        else acked.set(createdId, { created: true, claimedBy: null, phase: 'PLAN', authorized: 0 });
        touched.add(createdId);
        totalAcks++;
        const claim = await tryFetch(`${base}/api/v1/tasks/claim`, {
          method: 'POST',
          token: agent,
          json: {},
        });
        if (claim.status !== 200) return;
        const task = claim.body!.task as { id: string };
        const id = task.id;
        const entry = acked.get(id) ?? { created: false, claimedBy: null, phase: 'PLAN', authorized: 0 };
        entry.claimedBy = agentId;
        acked.set(id, entry);
        touched.add(id);
        totalAcks++;
        let token = claim.body!.phase_token as string;
        // Hand the plan in (it waits for the approval), then approve exactly it.
        const handIn = await tryFetch(`${base}/api/v1/tasks/transition`, {
          method: 'POST',
          token: agent,
          json: {
            task_id: id,
            current_phase: WALK[0]![0],
            target_phase: WALK[0]![1],
            phase_token: token,
            artifacts: WALK[0]![2],
          },
        });
        if (handIn.status !== 200) return;
        const approve = await tryFetch(`${base}/api/v1/tasks/${id}/gates/plan_approved/approve`, {
          method: 'POST',
          token: operator,
          json: {},
        });
        if (approve.status !== 200 && approve.status !== 201) return;
        for (const [from, to, artifacts] of WALK.slice(0, 2)) {
          const authorized = await tryFetch(`${base}/api/v1/tools/authorize`, {
            method: 'POST',
            token: agent,
            json: {
              task_id: id,
              phase_token: token,
              tool_name: 'read_files',
              args: { paths: ['README.md'] },
            },
          });
          if (authorized.status !== 200) return;
          entry.authorized++;
          totalAcks++;
          const moved = await tryFetch(`${base}/api/v1/tasks/transition`, {
            method: 'POST',
            token: agent,
            json: { task_id: id, current_phase: from, target_phase: to, phase_token: token, artifacts },
          });
          if (moved.status !== 200 || moved.body!.allowed !== true) return;
          entry.phase = to;
          totalAcks++;
          token = moved.body!.new_token as string;
        }
      }
    };

    const check = async (base: string, ids: Iterable<string>) => {
      for (const id of ids) {
        const want = acked.get(id)!;
        const task = await tryFetch(`${base}/api/v1/tasks/${id}`, { token: operator });
        expect(task.status).toBe(200);
        const body = task.body as { phase: string; history: Array<{ action: string; actor?: string }> };
        expect(PHASES.indexOf(body.phase)).toBeGreaterThanOrEqual(PHASES.indexOf(want.phase));
        if (want.claimedBy) expect(body.history.map((h) => h.action)).toContain('claimed');
        const audit = await tryFetch(
          `${base}/api/v1/audit/query?task_id=${id}&action=tool.authorize&limit=1000`,
          {
            token: operator,
          },
        );
        expect(audit.status).toBe(200);
        expect((audit.body!.entries as unknown[]).length).toBeGreaterThanOrEqual(want.authorized);
        const created = await tryFetch(
          `${base}/api/v1/audit/query?task_id=${id}&action=task.create&limit=10`,
          {
            token: operator,
          },
        );
        // Exactly one creation entry when the creation was acknowledged; at most one otherwise
        // (a task written just before a kill exists, and may be claimed, without its 201).
        const creations = (created.body!.entries as unknown[]).length;
        if (want.created) expect(creations).toBe(1);
        else expect(creations).toBeLessThanOrEqual(1);
      }
    };

    for (let round = 0; round < ROUNDS; round++) {
      server = await startServer({ dir });
      const base = server.url;
      const ready = await tryFetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      const verify = await tryFetch(`${base}/api/v1/audit/verify`, { token: operator });
      expect(verify.body).toMatchObject({ valid: true });
      await check(base, touched);
      touched = new Set();

      let running = true;
      const workers = Array.from({ length: WORKERS }, (_, w) => worker(base, round, w, () => running));
      await sleep(150 + Math.floor(Math.random() * 650));
      server.child.kill('SIGKILL');
      await server.exited;
      running = false;
      await Promise.all(workers);
    }
    server = await startServer({ dir });
    expect((await tryFetch(`${server.url}/health/ready`)).status).toBe(200);
    expect((await tryFetch(`${server.url}/api/v1/audit/verify`, { token: operator })).body).toMatchObject({
      valid: true,
    });
    await check(server.url, acked.keys());
    const stored = await everyStoredChangeIsAudited(server.url, operator);
    expect(totalAcks).toBeGreaterThan(ROUNDS * 5);
    console.log(
      `crash: ${ROUNDS} rounds, ${acked.size} tasks, ${totalAcks} acknowledged changes, all present; ` +
        `${stored.tasks} stored tasks, ${stored.changes} stored changes, each with its audit entry`,
    );
  }, 480_000); // about 7 s a round (restart, work, checks): 20 rounds take 2-3 minutes
});

/** The audit action each kind of history item is recorded under (successful decisions only). */
type Entry = { action: string; success: boolean; details?: { approval_requested?: boolean } };
const AUDITED: Record<string, (entry: Entry) => boolean> = {
  created: (e) => e.action === 'task.create',
  claimed: (e) => e.action === 'task.claim',
  approval_recorded: (e) => (e.action === 'task.approve' || e.action === 'task.reject') && e.success,
  approval_requested: (e) => e.action === 'task.transition' && e.details?.approval_requested === true,
  transitioned: (e) => e.action === 'task.transition' && e.success,
  completed: (e) => e.action === 'task.complete' && e.success,
  released: (e) => e.action === 'task.release',
  failed: (e) => e.action === 'task.fail',
  lease_expired: (e) => e.action === 'task.lease_expired',
  cancelled: (e) => e.action === 'task.cancel',
};

/**
 * Every change the store kept, acknowledged or not, has exactly one audit entry: for each stored
 * task, each item of its history is matched by one entry of the matching action.
 */
async function everyStoredChangeIsAudited(
  base: string,
  operator: string,
): Promise<{ tasks: number; changes: number }> {
  let cursor: string | null = null;
  let tasks = 0;
  let changes = 0;
  do {
    const page = await tryFetch(`${base}/api/v1/tasks?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
      token: operator,
    });
    expect(page.status).toBe(200);
    for (const summary of page.body!.tasks as { id: string }[]) {
      const task = await tryFetch(`${base}/api/v1/tasks/${summary.id}`, { token: operator });
      const history = (task.body!.history as { action: string }[]).map((h) => h.action);
      const audit = await tryFetch(
        `${base}/api/v1/audit/query?task_id=${summary.id}&action=task.*&limit=1000`,
        {
          token: operator,
        },
      );
      const entries = audit.body!.entries as Entry[];
      for (const [action, matches] of Object.entries(AUDITED)) {
        const want = history.filter((a) => a === action).length;
        expect([summary.id, action, entries.filter(matches).length]).toEqual([summary.id, action, want]);
        changes += want;
      }
      tasks++;
    }
    cursor = page.body!.next_cursor as string | null;
  } while (cursor);
  return { tasks, changes };
}
