import { type Instance } from './cluster.js';
import { accessToken } from '../../support/tokens.js';

/** A seeded generator (mulberry32): a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The relay workflow's walk: BUILD → CHECK → DONE, then completion. */
const WALK = [
  ['BUILD', 'CHECK'],
  ['CHECK', 'DONE'],
] as const;

/** A change the server acknowledged with a 2xx: it must be visible afterwards, on any instance. */
export interface Acknowledged {
  readonly task_id: string;
  /** The task's history action this change appended. */
  readonly action: 'claimed' | 'transitioned' | 'released' | 'failed' | 'completed';
  readonly attempt: number;
  readonly agent: string;
  readonly instance: string;
}

/** A claim as its agent saw it. */
export interface ClaimSeen {
  readonly task_id: string;
  readonly attempt: number;
  readonly agent: string;
  readonly capabilities: readonly string[];
  readonly instance: string;
}

export interface AgentSpec {
  readonly id: string;
  readonly capabilities: readonly string[];
  /** The instances the agent talks to, in turn (request by request). */
  readonly instances: readonly Instance[];
}

export interface AgentRunOptions {
  readonly random: () => number;
  /** Chance, at each step of a held task, to release it. */
  readonly releaseRate: number;
  /** Chance, at each step of a held task, to report the attempt failed. */
  readonly failRate: number;
  /** Never end a task's last attempt by release or fail (so dependants are not blocked forever). */
  readonly spareLastAttempt: boolean;
  /** Set by the test to end every agent's loop. */
  readonly stopped: () => boolean;
  readonly acknowledged: Acknowledged[];
  readonly claims: ClaimSeen[];
  /** Answers that are neither 2xx nor an expected refusal, with what was asked. */
  readonly unexpected: string[];
}

interface Claimed {
  task: { id: string; attempts: number; max_attempts: number; capabilities: string[] };
  phase_token: string;
  phase: string;
}

/**
 * One agent: claims, walks its task through the workflow and completes it, or at random releases
 * or fails the attempt; repeats until `stopped`. Each request goes to the next of its instances
 * that has not failed to answer.
 * A request that fails on the network (an instance was killed) is not acknowledged: the agent
 * claims again (a resume answers with the task it held, if the change went through).
 */
export async function runAgent(spec: AgentSpec, options: AgentRunOptions): Promise<void> {
  const token = accessToken('agent', spec.id);
  let turn = Math.floor(options.random() * spec.instances.length);
  // As a load balancer with max_fails does: an instance that did not answer is passed over.
  const down = new Set<Instance>();
  const next = () => {
    const live = spec.instances.filter((i) => !down.has(i));
    return (live.length > 0 ? live : spec.instances)[turn++ % (live.length || spec.instances.length)]!;
  };
  const post = async <T>(path: string, body: unknown, headers?: Record<string, string>) => {
    const instance = next();
    try {
      return { instance, ...(await instance.http.post<T>(path, token, body, headers)) };
    } catch {
      down.add(instance);
      return { instance, status: 0, body: null as T, headers: new Headers() };
    }
  };
  const ack = (task_id: string, action: Acknowledged['action'], attempt: number, instance: Instance) =>
    options.acknowledged.push({ task_id, action, attempt, agent: spec.id, instance: instance.name });
  while (!options.stopped()) {
    const claim = await post<Claimed>('/api/v1/tasks/claim', { capabilities: spec.capabilities });
    if (claim.status === 204 || claim.status === 0) {
      // Idle agents poll: 200 of them at 4/s keep the queue contended without drowning two cores.
      await sleep(150 + options.random() * 250);
      continue;
    }
    if (claim.status !== 200) {
      options.unexpected.push(`claim by ${spec.id} on ${claim.instance.name}: ${claim.status}`);
      await sleep(100);
      continue;
    }
    const { task } = claim.body;
    const resumed = (claim.body as { resumed?: boolean }).resumed === true;
    if (!resumed) {
      ack(task.id, 'claimed', task.attempts, claim.instance);
      options.claims.push({
        task_id: task.id,
        attempt: task.attempts,
        agent: spec.id,
        capabilities: task.capabilities,
        instance: claim.instance.name,
      });
    }
    let token = claim.body.phase_token;
    let phase = claim.body.phase;
    const mayEnd = !(options.spareLastAttempt && task.attempts >= task.max_attempts);
    for (;;) {
      const roll = options.random();
      if (mayEnd && roll < options.releaseRate) {
        const res = await post(`/api/v1/tasks/${task.id}/release`, {}, { 'x-phase-token': token });
        if (res.status === 200) ack(task.id, 'released', task.attempts, res.instance);
        else if (res.status !== 0) options.unexpected.push(`release ${task.id}: ${res.status}`);
        break;
      }
      if (mayEnd && roll < options.releaseRate + options.failRate) {
        const res = await post(
          `/api/v1/tasks/${task.id}/fail`,
          { reason: 'random failure' },
          { 'x-phase-token': token },
        );
        if (res.status === 200) ack(task.id, 'failed', task.attempts, res.instance);
        else if (res.status !== 0) options.unexpected.push(`fail ${task.id}: ${res.status}`);
        break;
      }
      const step = WALK.find(([from]) => from === phase);
      if (!step) {
        const res = await post<{ completed: boolean }>(`/api/v1/tasks/${task.id}/complete`, {
          phase_token: token,
          artifacts: {},
        });
        if (res.status === 200 && res.body.completed) ack(task.id, 'completed', task.attempts, res.instance);
        else if (res.status !== 0) options.unexpected.push(`complete ${task.id}: ${res.status}`);
        break;
      }
      const res = await post<{ allowed: boolean; new_token: string; phase: string }>(
        '/api/v1/tasks/transition',
        {
          task_id: task.id,
          current_phase: step[0],
          target_phase: step[1],
          phase_token: token,
          artifacts: {},
        },
      );
      if (res.status !== 200 || !res.body.allowed) {
        if (res.status !== 0) {
          options.unexpected.push(`transition ${task.id}: ${res.status} ${JSON.stringify(res.body)}`);
        }
        break;
      }
      ack(task.id, 'transitioned', task.attempts, res.instance);
      token = res.body.new_token;
      phase = res.body.phase;
    }
  }
}
