/**
 * The mixed workload: agents walk whole tasks the way a coding agent does (claim, a few tool
 * calls authorized per phase, each transition with its artifacts, the operator's approval where a
 * gate asks for one, complete), against one or more server instances. Agent `i` keeps its
 * connections on instance `i mod N` (round-robin, like a balancer that pins a client's
 * keep-alive sockets), and its approvals go to the same instance.
 */
/* global URL, performance, setTimeout */
import { readFileSync } from 'node:fs';
import { post, token } from './http.mjs';

const artifacts = JSON.parse(readFileSync(new URL('./artifacts.json', import.meta.url), 'utf8'));
const WALK = [
  ['PLAN', 'TDD', artifacts.plan],
  ['TDD', 'IMPL', artifacts.tdd],
  ['IMPL', 'REVIEW', artifacts.impl],
  ['REVIEW', 'COMPLETE', artifacts.review],
];
/** Tool calls authorized in each phase before its transition: reads and writes, alternating. */
export const AUTHORIZE_PER_PHASE = 4;
const TOOLS = [
  ['read_files', { paths: ['docs/bench-4k.md'] }],
  ['write_files', { path: 'src/x.ts', content: 'x' }],
];

/** The approvals a refused transition waits for, or null when something else blocks it. */
function approvalsAwaited(answer) {
  const blockers = answer.body?.blocker_details ?? [];
  if (blockers.length === 0 || blockers.some((b) => b.check !== 'approval_required')) return null;
  return blockers.map((b) => ({ gate: b.gate, digest: b.digest }));
}

/** What every request of a run came to, counted by kind; latencies only inside the window. */
export class Tally {
  constructor() {
    this.window = { from: Infinity, to: Infinity };
    this.latencies = { all: [], authorize: [], transition: [] };
    this.counts = { requests: 0, authorize: 0, transitions: 0 };
    this.statuses = { '2xx': 0, '4xx': 0, '5xx': 0, network_errors: 0, other: 0 };
    this.claims = new Set();
    this.double_claims = 0;
    this.resumed = 0;
    this.completed = 0;
    this.approvals = 0;
    this.empty = 0;
    this.refused = 0;
    this.first_failures = [];
  }

  /** A 200 that refused what this workload always satisfies (a transition, a completion). */
  refuse(what, res) {
    this.refused++;
    if (this.first_failures.length < 5)
      this.first_failures.push({ path: `${what} refused`, status: 200, body: res.body });
  }

  inWindow(startedAt) {
    return startedAt >= this.window.from && startedAt < this.window.to;
  }

  /** One answer of `kind` to a request started at `startedAt` (performance.now()). */
  record(kind, path, startedAt, res) {
    const klass = res.error ? 'network_errors' : `${Math.floor(res.status / 100)}xx`;
    this.statuses[klass in this.statuses ? klass : 'other']++;
    if (klass !== '2xx' && this.first_failures.length < 5)
      this.first_failures.push({ path, status: res.status, body: res.body ?? String(res.error) });
    if (!this.inWindow(startedAt)) return;
    this.counts.requests++;
    this.latencies.all.push(res.ms);
    if (kind === 'authorize') {
      this.counts.authorize++;
      this.latencies.authorize.push(res.ms);
    } else if (kind === 'transition') this.latencies.transition.push(res.ms);
  }
}

/**
 * Runs `agents` agents over `urls` until `stopAt` (performance.now() ms); requests started in
 * `tally.window` are the measured ones, the others warm up or drain. Agent `i` starts after
 * `i / agents` of `staggerMs`. Resolves when every agent has had its last answer.
 */
export async function mixedWorkload(urls, agents, stopAt, tally, staggerMs = 0) {
  const operator = token('operator', 'bench-mixed-operator');
  const send = async (kind, base, path, bearer, body) => {
    const startedAt = performance.now();
    let res;
    try {
      res = await post(base, path, bearer, body);
    } catch (error) {
      res = { error, ms: performance.now() - startedAt };
    }
    tally.record(kind, path, startedAt, res);
    return res;
  };
  const walkOne = async (base, agent) => {
    const claimed = await send('claim', base, '/api/v1/tasks/claim', agent, {});
    if (claimed.status === 204) {
      tally.empty++;
      return false;
    }
    if (claimed.status !== 200) return false;
    const id = claimed.body.task.id;
    if (claimed.body.resumed) tally.resumed++;
    else if (tally.claims.has(id)) tally.double_claims++;
    else tally.claims.add(id);
    let phaseToken = claimed.body.phase_token;
    for (const [from, to, arts] of WALK) {
      if (performance.now() >= stopAt) return false; // the run is over: leave the task held
      for (let n = 0; n < AUTHORIZE_PER_PHASE; n++) {
        const [tool, args] = TOOLS[n % TOOLS.length];
        const body = { task_id: id, phase_token: phaseToken, tool_name: tool, args };
        const res = await send('authorize', base, '/api/v1/tools/authorize', agent, body);
        if (res.status !== 200) return true;
      }
      const body = { task_id: id, current_phase: from, target_phase: to, artifacts: arts };
      const startedAt = performance.now();
      let moved = await send('transition', base, '/api/v1/tasks/transition', agent, {
        ...body,
        phase_token: phaseToken,
      });
      const awaited = moved.status === 200 && !moved.body.allowed ? approvalsAwaited(moved) : null;
      if (awaited) {
        for (const { gate, digest } of awaited) {
          const path = `/api/v1/tasks/${id}/gates/${gate}/approve`;
          const approved = await send('approve', base, path, operator, { digest });
          if (approved.status === 200) tally.approvals++;
        }
        moved = await send('transition', base, '/api/v1/tasks/transition', agent, {
          ...body,
          phase_token: phaseToken,
        });
      }
      if (moved.status !== 200 || !moved.body.allowed) {
        if (moved.status === 200) tally.refuse('transition', moved);
        return true;
      }
      if (tally.inWindow(startedAt)) tally.counts.transitions++;
      phaseToken = moved.body.new_token;
    }
    const done = await send('complete', base, `/api/v1/tasks/${id}/complete`, agent, {
      phase_token: phaseToken,
      artifacts: artifacts.complete,
    });
    if (done.status === 200 && done.body.completed) tally.completed++;
    else if (done.status === 200) tally.refuse('complete', done);
    return true;
  };
  await Promise.all(
    Array.from({ length: agents }, async (_, i) => {
      const base = urls[i % urls.length];
      const agent = token('agent', `bench-mixed-${i}`);
      // Agents started together would walk their phases in step (all authorizing, then all
      // transitioning): spread their starts so the measured window sees the steady mix.
      await new Promise((r) => setTimeout(r, (i / agents) * staggerMs));
      while (performance.now() < stopAt) if (!(await walkOne(base, agent))) break;
    }),
  );
}
