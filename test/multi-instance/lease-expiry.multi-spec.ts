import { accessToken } from '../support/tokens.js';
import { sleep } from './support/agents.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { mergeEvents } from './support/correspondence.js';
import { allAudit, allEvents, allTasks, type TaskDetail } from './support/reads.js';

const TASKS = 30;
const LEASE_SECONDS = 5;

/** orchestrator_leases_expired_total of one instance. */
async function expiredCounter(url: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const match = /^orchestrator_leases_expired_total (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Every instance runs a lease sweeper, once a second, on the same tasks table: a lease that
 * runs out must be expired by exactly one of them (FOR UPDATE SKIP LOCKED, then a status check).
 */
describe('lease expiry with three sweepers', () => {
  let cluster: Cluster;
  const operator = accessToken('operator', 'multi-lease-op');
  beforeAll(async () => {
    cluster = await startCluster({ env: { ORCHESTRATOR_TASKS_LEASE_SECONDS: String(LEASE_SECONDS) } });
  }, 60_000);
  afterAll(() => cluster?.dispose());

  /** Waits until no task is claimed (every lease expired), then reads them all. */
  async function afterExpiry(): Promise<TaskDetail[]> {
    const deadline = Date.now() + (LEASE_SECONDS + 10) * 1000;
    for (;;) {
      const claimed = await cluster.instances[0]!.http.get<{ tasks: unknown[] }>(
        '/api/v1/tasks?status=claimed&limit=500',
        operator,
      );
      if (claimed.body.tasks.length === 0) return allTasks(cluster.instances[1]!.http, operator);
      if (Date.now() > deadline) throw new Error(`${claimed.body.tasks.length} leases never expired`);
      await sleep(250);
    }
  }

  it('expire each lease once: one history entry, one audit entry, one event, one count, over two rounds', async () => {
    const { instances } = cluster;
    for (let i = 0; i < TASKS; i++) {
      const res = await instances[i % 3]!.http.post('/api/v1/tasks', operator, {
        title: `lease ${i}`,
        max_attempts: 2,
      });
      expect(res.status).toBe(201);
    }
    // Claims 100 ms apart: the leases run out over three seconds, across many sweeps of all three.
    const claimAll = async () => {
      const claims = await Promise.all(
        Array.from({ length: TASKS }, async (_, i) => {
          await sleep(i * 100);
          return instances[i % 3]!.http.post('/api/v1/tasks/claim', accessToken('agent', `sleeper-${i}`), {});
        }),
      );
      expect(claims.map((c) => c.status)).toEqual(Array(TASKS).fill(200));
    };
    // Round 1: every lease runs out; each task goes back to the queue.
    await claimAll();
    const first = await afterExpiry();
    for (const task of first) {
      expect([task.id, task.status, task.history.filter((h) => h.action === 'lease_expired').length]).toEqual(
        [task.id, 'queued', 1],
      );
    }
    // Round 2: the second (last) attempt runs out too; each task fails, once.
    await claimAll();
    const second = await afterExpiry();
    for (const task of second) {
      const expiries = task.history.filter((h) => h.action === 'lease_expired');
      expect([task.id, task.status, expiries.map((h) => h.to_status)]).toEqual([
        task.id,
        'failed',
        ['queued', 'failed'],
      ]);
    }
    const audit = await allAudit(instances[2]!.http, operator, '&action=task.lease_expired');
    expect(audit).toHaveLength(2 * TASKS);
    expect(new Set(audit.map((e) => `${e.task_id} ${e.details.attempts}`)).size).toBe(2 * TASKS);
    const merged = mergeEvents(await Promise.all(instances.map((i) => allEvents(i.http, operator))));
    const expiryEvents = merged.events.filter(
      (e) => e.type === 'task.lease_expired' || (e.type === 'task.failed' && e.actor === 'system'),
    );
    expect(expiryEvents).toHaveLength(2 * TASKS);
    const counted = await Promise.all(instances.map((i) => expiredCounter(i.url)));
    expect(counted.reduce((a, b) => a + b, 0)).toBe(2 * TASKS);
    console.log(`lease expiry: ${2 * TASKS} leases, expired by A/B/C: ${counted.join('/')}`);
  }, 90_000);
});
