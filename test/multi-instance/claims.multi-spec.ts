import { accessToken } from '../support/tokens.js';
import { runAgent, seededRandom, type Acknowledged, type ClaimSeen } from './support/agents.js';
import { startCluster, type Cluster } from './support/cluster.js';
import { allAudit, allTasks } from './support/reads.js';
import { agentCapabilities, seedTasks } from './support/seed.js';
import { settle } from './support/settle.js';

const AGENTS = 200;
const TASKS = 150;
const MAX_ATTEMPTS = 4;
const SEED = Number(process.env.MULTI_SEED ?? 18_005);

/**
 * 200 agents race for tasks through three instances on one database: the database's row locks
 * (FOR UPDATE SKIP LOCKED) are the only thing between them, so every claim rule must hold
 * whichever instance each claim reached.
 */
describe('200 racing agents over three instances', () => {
  let cluster: Cluster;
  const operator = accessToken('operator', 'multi-claims-op');
  beforeAll(async () => {
    cluster = await startCluster();
  }, 60_000);
  afterAll(() => cluster?.dispose());

  it('claim every task exactly once per attempt, never before its dependencies completed, never without its capabilities', async () => {
    const random = seededRandom(SEED);
    const { instances } = cluster;
    const tasks = await seedTasks(instances, operator, TASKS, random, MAX_ATTEMPTS);
    const byId = new Map(tasks.map((t) => [t.id, t]));
    const agents = Array.from({ length: AGENTS }, (_, i) => ({
      id: `racer-${i}`,
      capabilities: agentCapabilities(i, random),
      // Each agent talks to every instance in turn, starting at its own.
      instances: [0, 1, 2].map((k) => instances[(i + k) % 3]!),
    }));
    const capabilitiesOf = new Map(agents.map((a) => [a.id, new Set(a.capabilities)]));
    const acknowledged: Acknowledged[] = [];
    const claims: ClaimSeen[] = [];
    const unexpected: string[] = [];
    let stop = false;
    const run = Promise.all(
      agents.map((spec, i) =>
        runAgent(spec, {
          random: seededRandom(SEED + i + 1),
          releaseRate: 0.12,
          failRate: 0,
          spareLastAttempt: true,
          stopped: () => stop,
          acknowledged,
          claims,
          unexpected,
        }),
      ),
    );
    try {
      await settle(instances[0]!.http, operator, 150_000);
    } finally {
      stop = true;
      await run;
    }
    expect(unexpected).toEqual([]);

    const final = await allTasks(instances[1]!.http, operator);
    expect(final).toHaveLength(TASKS);
    expect(final.filter((t) => t.status !== 'completed')).toEqual([]);

    // Exactly once per attempt, as the agents saw it: attempts 1..n of each task, each once.
    const seen = new Map<string, number[]>();
    for (const c of claims) seen.set(c.task_id, [...(seen.get(c.task_id) ?? []), c.attempt]);
    for (const task of final) {
      expect([task.id, [...(seen.get(task.id) ?? [])].sort()]).toEqual([
        task.id,
        Array.from({ length: task.attempts }, (_, k) => k + 1),
      ]);
    }
    // …and as the shared audit chain recorded them, on a third instance: the same claims.
    const audit = await allAudit(instances[2]!.http, operator);
    const audited = audit.filter((e) => e.action === 'task.claim');
    const key = (task: string, attempt: number, agent: string) => `${task}#${attempt}@${agent}`;
    expect(audited.map((e) => key(e.task_id!, e.details.attempt as number, e.actor)).sort()).toEqual(
      claims.map((c) => key(c.task_id, c.attempt, c.agent)).sort(),
    );

    // Capabilities: the task's required ones are a subset of the claiming agent's.
    for (const c of claims) {
      const missing = byId
        .get(c.task_id)!
        .capabilities.filter((cap) => !capabilitiesOf.get(c.agent)!.has(cap));
      expect([c.task_id, c.agent, missing]).toEqual([c.task_id, c.agent, []]);
    }
    // Dependencies: each dependency's completion is ordered before every claim of its dependant.
    const completedAt = new Map(
      audit.filter((e) => e.action === 'task.complete').map((e) => [e.task_id!, e.seq]),
    );
    for (const entry of audited) {
      for (const dep of byId.get(entry.task_id!)!.dependencies) {
        expect([entry.task_id, dep, (completedAt.get(dep) ?? Infinity) < entry.seq]).toEqual([
          entry.task_id,
          dep,
          true,
        ]);
      }
    }
    // The race really was spread: every instance handed out claims.
    const perInstance = instances.map((i) => claims.filter((c) => c.instance === i.name).length);
    for (const n of perInstance) expect(n).toBeGreaterThan(TASKS / 10);
    const transitions = acknowledged.filter((a) => a.action === 'transitioned').length;
    console.log(
      `claims: ${AGENTS} agents, ${TASKS} tasks, ${claims.length} claims (${perInstance.join('/')} on A/B/C), ` +
        `${acknowledged.filter((a) => a.action === 'released').length} releases, ${transitions} transitions, ` +
        `${audit.length} audit entries`,
    );
  }, 200_000);
});
