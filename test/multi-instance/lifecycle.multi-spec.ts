import { accessToken } from '../support/tokens.js';
import { runAgent, seededRandom, type Acknowledged, type ClaimSeen } from './support/agents.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { gapsIn, historyAuditEvents, mergeEvents } from './support/correspondence.js';
import { allAudit, allEvents, allTasks, verifyEverywhere } from './support/reads.js';
import { agentCapabilities, seedTasks } from './support/seed.js';
import { settle } from './support/settle.js';

const AGENTS = 36;
const TASKS = 90;
const SEED = Number(process.env.MULTI_SEED ?? 18_052);

/**
 * Whole task lives under load, spread over three instances, with agents that release and fail
 * at random: the shared stores (tasks, audit chain, event sequence) stay one consistent story.
 */
describe('full lifecycles with random release and fail over three instances', () => {
  let cluster: Cluster;
  const operator = accessToken('operator', 'multi-life-op');
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);
  afterAll(() => cluster?.dispose());

  it('end every task terminal; one audit chain with one head on every instance; a gap-free event sequence; history, audit and events 1:1', async () => {
    const random = seededRandom(SEED);
    const { instances } = cluster;
    await seedTasks(instances, operator, TASKS, random, 3);
    const acknowledged: Acknowledged[] = [];
    const claims: ClaimSeen[] = [];
    const unexpected: string[] = [];
    let stop = false;
    const run = Promise.all(
      Array.from({ length: AGENTS }, (_, i) =>
        runAgent(
          {
            id: `life-${i}`,
            capabilities: agentCapabilities(i, random),
            instances: [0, 1, 2].map((k) => instances[(i + k) % 3]!),
          },
          {
            random: seededRandom(SEED + i + 1),
            releaseRate: 0.12,
            failRate: 0.12,
            spareLastAttempt: false,
            stopped: () => stop,
            acknowledged,
            claims,
            unexpected,
          },
        ),
      ),
    );
    let cancelled: string[];
    try {
      ({ cancelled } = await settle(instances[0]!.http, operator, 120_000));
    } finally {
      stop = true;
      await run;
    }
    expect(unexpected).toEqual([]);

    const tasks = await allTasks(instances[1]!.http, operator);
    expect(tasks).toHaveLength(TASKS);
    const statuses = tasks.map((t) => t.status);
    expect(statuses.filter((s) => !['completed', 'failed', 'cancelled'].includes(s))).toEqual([]);
    // The random failures really ended some tasks, and some dependants were cancelled for it.
    expect(statuses.filter((s) => s === 'failed').length).toBeGreaterThan(0);

    // One chain, valid, signed, with the same head whichever instance is asked.
    const reports = await verifyEverywhere(
      instances.map((i) => i.http),
      operator,
    );
    for (const report of reports) {
      expect(report).toMatchObject({ valid: true, signatures_checked: true });
      expect(report.first_broken).toBeUndefined();
    }
    expect(new Set(reports.map((r) => `${r.last_seq}:${r.last_hash}`)).size).toBe(1);
    const audit = await allAudit(instances[2]!.http, operator);
    expect(audit.map((e) => e.seq)).toEqual(Array.from({ length: audit.length }, (_, i) => i + 1));
    expect(audit.at(-1)!.seq).toBeGreaterThanOrEqual(reports[0]!.last_seq! - 1);

    // Each event was numbered once, by the database, whichever instance numbered it: read
    // together, the instances' pages are one sequence without a gap and without a conflict.
    const merged = mergeEvents(await Promise.all(instances.map((i) => allEvents(i.http, operator))));
    expect(merged.conflicts).toEqual([]);
    expect(gapsIn(merged.events.map((e) => e.id))).toEqual([]);

    // For every task transition: one history entry, one audit entry, one event.
    expect(historyAuditEvents(tasks, audit, merged.events)).toEqual([]);
    // And every change an agent was told succeeded is in the history.
    const historyCount = (id: string, action: string) =>
      tasks.find((t) => t.id === id)!.history.filter((h) => h.action === action).length;
    const ackCount = new Map<string, number>();
    for (const a of acknowledged)
      ackCount.set(`${a.task_id} ${a.action}`, (ackCount.get(`${a.task_id} ${a.action}`) ?? 0) + 1);
    for (const [key, n] of ackCount) {
      const [id, action] = key.split(' ') as [string, string];
      expect([key, historyCount(id, action)]).toEqual([key, n]);
    }
    const changes = tasks.reduce((n, t) => n + t.history.length, 0);
    console.log(
      `lifecycle: ${AGENTS} agents, ${TASKS} tasks (${['completed', 'failed', 'cancelled']
        .map((s) => `${statuses.filter((x) => x === s).length} ${s}`)
        .join(', ')}; ${cancelled.length} cancelled by the operator), ${claims.length} claims, ` +
        `${changes} history entries = audited = announced, ${merged.events.length} events, ` +
        `${audit.length} audit entries, head seq ${reports[0]!.last_seq}`,
    );
  }, 200_000);
});
