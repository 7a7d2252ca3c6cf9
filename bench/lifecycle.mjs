/** The lifecycle scenario: agents claim and walk whole tasks, PLAN to COMPLETE, as fast as they can. */
/* global URL */
/* global performance */
import { readFileSync } from 'node:fs';
import { call, percentile, token } from './http.mjs';

const artifacts = JSON.parse(readFileSync(new URL('./artifacts.json', import.meta.url), 'utf8'));
const WALK = [
  ['PLAN', 'TDD', artifacts.plan],
  ['TDD', 'IMPL', artifacts.tdd],
  ['IMPL', 'REVIEW', artifacts.impl],
  ['REVIEW', 'COMPLETE', artifacts.review],
];

/** The approvals a refused transition waits for, or null when something else blocks it. */
function approvalsAwaited(answer) {
  const blockers = answer.body?.blocker_details ?? [];
  if (blockers.length === 0 || blockers.some((b) => b.check !== 'approval_required')) return null;
  return blockers.map((b) => ({ gate: b.gate, digest: b.digest }));
}

/**
 * `agents` concurrent agents claim and walk whole tasks until `seconds` pass. An approval gate
 * answers the first transition with `approval_required` and the digest of the artifacts it
 * stored; the operator approves that digest and the agent asks again (docs/API.md, Approvals).
 */
export async function lifecycle(base, agents, seconds) {
  const operator = token('operator', 'bench-operator');
  const deadline = Date.now() + seconds * 1000;
  const latencies = [];
  let completed = 0;
  let transitions = 0;
  let approvals = 0;
  let requests = 0;
  let failures = 0;
  const firstFailures = [];
  const timed = async (...args) => {
    const res = await call(base, ...args);
    latencies.push(res.ms);
    requests++;
    return res;
  };
  const failed = (path, res) => {
    failures++;
    if (firstFailures.length < 3) firstFailures.push({ path, status: res.status, body: res.body });
  };
  const transition = (agent, body) => timed('POST', '/api/v1/tasks/transition', agent, body);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: agents }, async (_, i) => {
      const agent = token('agent', `bench-agent-${i}`);
      while (Date.now() < deadline) {
        const claimed = await timed('POST', '/api/v1/tasks/claim', agent, {});
        if (claimed.status !== 200) {
          failed('/api/v1/tasks/claim', claimed);
          break;
        }
        const id = claimed.body.task.id;
        let phaseToken = claimed.body.phase_token;
        let ok = true;
        for (const [from, to, arts] of WALK) {
          const body = { task_id: id, current_phase: from, target_phase: to, artifacts: arts };
          let moved = await transition(agent, { ...body, phase_token: phaseToken });
          const awaited = moved.status === 200 && !moved.body.allowed ? approvalsAwaited(moved) : null;
          if (awaited) {
            for (const { gate, digest } of awaited) {
              const path = `/api/v1/tasks/${id}/gates/${gate}/approve`;
              const approved = await timed('POST', path, operator, { digest });
              if (approved.status !== 200) failed(path, approved);
              else approvals++;
            }
            moved = await transition(agent, { ...body, phase_token: phaseToken });
          }
          if (moved.status !== 200 || !moved.body.allowed) {
            failed('/api/v1/tasks/transition', moved);
            ok = false;
            break;
          }
          transitions++;
          phaseToken = moved.body.new_token;
        }
        if (!ok) continue;
        const done = await timed('POST', `/api/v1/tasks/${id}/complete`, agent, {
          phase_token: phaseToken,
          artifacts: artifacts.complete,
        });
        if (done.status === 200 && done.body.completed) completed++;
        else failed(`/api/v1/tasks/${id}/complete`, done);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    scenario: 'lifecycle',
    agents,
    seconds: Math.round(elapsed * 10) / 10,
    tasks_completed: completed,
    tasks_per_s: Math.round((completed / elapsed) * 10) / 10,
    transitions_per_s: Math.round((transitions / elapsed) * 10) / 10,
    approvals,
    rps: Math.round(requests / elapsed),
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: Math.round((latencies.at(-1) ?? 0) * 100) / 100,
    requests,
    failures,
    first_failures: firstFailures,
  };
}
