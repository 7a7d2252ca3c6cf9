import { accessToken } from '../support/tokens.js';
import { runAgent, seededRandom, sleep, type Acknowledged, type ClaimSeen } from './support/agents.js';
import { startCluster, type Cluster, type Instance } from './support/cluster.js';
import { historyAuditEvents } from './support/correspondence.js';
import { allAudit, allEvents, allTasks, verifyEverywhere, type TaskDetail } from './support/reads.js';
import { agentCapabilities, seedTasks } from './support/seed.js';
import { settle } from './support/settle.js';

const AGENTS = 30;
const TASKS = 120;
const SEED = Number(process.env.MULTI_SEED ?? 18_099);
/** "Within seconds": a survivor must record new audit entries and number new events this soon. */
const TAKEOVER_MS = 5000;

type Http = Instance['http'];

/** The newest audit seq, read from the database through `http`. */
async function auditHead(http: Http, token: string): Promise<number> {
  const res = await http.get<{ seq: number }[]>('/api/v1/audit/recent?count=1', token);
  if (res.status !== 200) throw new Error(`GET /api/v1/audit/recent: ${res.status}`);
  return res.body[0]?.seq ?? 0;
}

/** (task, action, attempt) of each history entry: the attempt is the number of claims before it. */
function historyKeys(task: TaskDetail): string[] {
  let attempt = 0;
  return task.history.map((h) => {
    if (h.action === 'claimed') attempt++;
    return `${task.id} ${h.action} ${attempt}`;
  });
}

/**
 * kill -9 of instances while agents work through them: a process dies with requests in flight,
 * transactions open and answers unsent. What it acknowledged must survive it; the others go on.
 */
describe('kill -9 of instances mid-run', () => {
  let cluster: Cluster;
  const operator = accessToken('operator', 'multi-kill-op');
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);
  afterAll(() => cluster?.dispose());

  it('lose nothing acknowledged, and order audit and events on the survivors within seconds', async () => {
    const random = seededRandom(SEED);
    const [A, B, C] = cluster.instances as [Instance, Instance, Instance];
    await seedTasks(cluster.instances, operator, TASKS, random, 4);
    const acknowledged: Acknowledged[] = [];
    const claims: ClaimSeen[] = [];
    const unexpected: string[] = [];
    let stop = false;
    const run = Promise.all(
      Array.from({ length: AGENTS }, (_, i) =>
        runAgent(
          {
            id: `survivor-${i}`,
            capabilities: agentCapabilities(i, random),
            instances: [0, 1, 2].map((k) => cluster.instances[(i + k) % 3]!),
          },
          {
            random: seededRandom(SEED + i + 1),
            releaseRate: 0.1,
            failRate: 0.05,
            spareLastAttempt: true,
            stopped: () => stop,
            acknowledged,
            claims,
            unexpected,
          },
        ),
      ),
    );
    const takeovers: number[] = [];
    /** Kills `victim` once `afterChanges` changes were acknowledged; times the survivors' takeover. */
    const killWhen = async (afterChanges: number, victim: Instance, survivors: Instance[]) => {
      while (acknowledged.length < afterChanges) await sleep(20);
      const eventsBefore = await Promise.all(
        survivors.map(async (s) => Math.max(0, ...(await allEvents(s.http, operator)).map((e) => e.id))),
      );
      const killedAt = Date.now();
      const seqAtKill = await auditHead(survivors[0]!.http, operator);
      expect(await cluster.stop(victim, 'SIGKILL')).toBeNull();
      expect(victim.server.child.signalCode).toBe('SIGKILL');
      // Every survivor numbers new events after its old ones, and the chain grows, within seconds.
      const pending = new Set(survivors.map((_, i) => i));
      let chainMoved = false;
      while ((pending.size > 0 || !chainMoved) && Date.now() - killedAt < TAKEOVER_MS) {
        for (const i of [...pending]) {
          const page = await survivors[i]!.http.get<{ events: { id: number }[] }>(
            `/api/v1/events?after=${eventsBefore[i]}&limit=1`,
            operator,
          );
          expect(page.status).toBe(200);
          if (page.body.events.length > 0) pending.delete(i);
        }
        chainMoved ||= (await auditHead(survivors[0]!.http, operator)) > seqAtKill;
        await sleep(50);
      }
      expect([victim.name, [...pending], chainMoved]).toEqual([victim.name, [], true]);
      takeovers.push(Date.now() - killedAt);
    };
    let cancelled: string[];
    try {
      await killWhen(TASKS, B, [A, C]);
      await killWhen(TASKS * 2.5, A, [C]);
      ({ cancelled } = await settle(C.http, operator, 120_000));
    } finally {
      stop = true;
      await run;
    }
    // Refusals the agents got are answers, not lost requests: there must be none.
    expect(unexpected).toEqual([]);
    const tasks = await allTasks(C.http, operator);
    expect(tasks).toHaveLength(TASKS);
    expect(tasks.filter((t) => !['completed', 'failed', 'cancelled'].includes(t.status))).toEqual([]);

    // Nothing acknowledged is lost: each 2xx answer's change is in the history, in its attempt.
    const inHistory = new Map<string, number>();
    for (const key of tasks.flatMap(historyKeys)) inHistory.set(key, (inHistory.get(key) ?? 0) + 1);
    const acked = new Map<string, number>();
    for (const a of acknowledged) {
      const key = `${a.task_id} ${a.action} ${a.attempt}`;
      acked.set(key, (acked.get(key) ?? 0) + 1);
    }
    const lost = [...acked].filter(([key, n]) => (inHistory.get(key) ?? 0) < n);
    expect(lost).toEqual([]);

    // The chain the dead instances wrote into is whole: valid, signed, and each change in it once.
    const [report] = await verifyEverywhere([C.http], operator);
    expect(report).toMatchObject({ valid: true, signatures_checked: true });
    let audit = await allAudit(C.http, operator);
    // An entry a dead instance stored with its change but did not seal is sealed by the survivor's relay.
    for (let i = 0; i < 20 && historyAuditEvents(tasks, audit, null).length > 0; i++) {
      await sleep(500);
      audit = await allAudit(C.http, operator);
    }
    expect(audit.map((e) => e.seq)).toEqual(Array.from({ length: audit.length }, (_, i) => i + 1));
    expect(historyAuditEvents(tasks, audit, null)).toEqual([]);
    const resumes = audit.filter((e) => e.action === 'task.resume').length;
    console.log(
      `kill: ${AGENTS} agents, ${TASKS} tasks, 2 kills survived (takeover ${takeovers.join(' ms, ')} ms), ` +
        `${acknowledged.length} acknowledged changes all found, ${claims.length} claims, ${resumes} resumes, ` +
        `${cancelled.length} cancelled, ${audit.length} audit entries`,
    );
  }, 200_000);
});
