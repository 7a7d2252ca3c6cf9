/**
 * Load: 200 concurrent agents against one server for LOAD_SECONDS (default 60), each claiming and
 * walking whole tasks of the default workflow (with the operator's plan approval) and calling tools.
 * Zero 5xx, zero double claims (a task handed to a second agent while the first still holds it),
 * and p99 latency within server.timeout.
 */
import { join } from 'node:path';
import { accessToken } from '../support/tokens.js';
import { disposeServer, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { COMPLETE_ARTIFACTS, percentile, seedTasks, tryFetch, WALK } from './support.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const AGENTS = Number(process.env.LOAD_AGENTS ?? 200);
const SERVER_TIMEOUT_S = 30;

describe('load: 200 agents', () => {
  let server: ServerProcess | undefined;
  afterAll(() => disposeServer(server));

  it(`${AGENTS} agents for ${SECONDS} s: no 5xx, no double claim, p99 within server.timeout`, async () => {
    const dir = tempDir();
    seedTasks(join(dir, '.orchestrator', 'state.json'), 20_000);
    server = await startServer({ dir, env: { ORCHESTRATOR_SERVER_TIMEOUT: String(SERVER_TIMEOUT_S) } });
    const base = server.url;
    const operator = accessToken('operator', 'load-operator');
    const deadline = Date.now() + SECONDS * 1000;
    const holders = new Map<string, string>(); // task id → agent currently holding it (by our acks)
    const everClaimed = new Set<string>();
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const fiveHundreds: string[] = [];
    const doubleClaims: string[] = [];
    let completed = 0;
    let transitions = 0;

    const timed = async (path: string, token: string, json: unknown) => {
      const started = performance.now();
      const res = await tryFetch(`${base}${path}`, { method: 'POST', token, json });
      latencies.push(performance.now() - started);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500 || res.status === 0)
        fiveHundreds.push(`${path} → ${res.status} ${res.text.slice(0, 200)}`);
      return res;
    };

    await Promise.all(
      Array.from({ length: AGENTS }, async (_, i) => {
        const agentId = `load-agent-${i}`;
        const agent = accessToken('agent', agentId);
        while (Date.now() < deadline) {
          const claim = await timed('/api/v1/tasks/claim', agent, {});
          if (claim.status !== 200) break;
          const id = (claim.body!.task as { id: string }).id;
          if (holders.has(id)) doubleClaims.push(`${id}: ${holders.get(id)} and ${agentId}`);
          if (everClaimed.has(id)) doubleClaims.push(`${id} claimed again after ${agentId} let go`);
          holders.set(id, agentId);
          everClaimed.add(id);
          let token = claim.body!.phase_token as string;
          // Hand the plan in (it waits for the approval), then approve exactly it.
          await timed('/api/v1/tasks/transition', agent, {
            task_id: id,
            current_phase: WALK[0][0],
            target_phase: WALK[0][1],
            phase_token: token,
            artifacts: WALK[0][2],
          });
          await timed(`/api/v1/tasks/${id}/gates/plan_approved/approve`, operator, {});
          let ok = true;
          for (const [from, to, artifacts] of WALK) {
            await timed('/api/v1/tools/authorize', agent, {
              task_id: id,
              phase_token: token,
              tool_name: 'read_files',
              args: { paths: ['README.md'] },
            });
            const moved = await timed('/api/v1/tasks/transition', agent, {
              task_id: id,
              current_phase: from,
              target_phase: to,
              phase_token: token,
              artifacts,
            });
            if (moved.status !== 200 || moved.body!.allowed !== true) {
              ok = false;
              break;
            }
            transitions++;
            token = moved.body!.new_token as string;
          }
          if (ok) {
            const done = await timed(`/api/v1/tasks/${id}/complete`, agent, {
              phase_token: token,
              artifacts: COMPLETE_ARTIFACTS,
            });
            if (done.status === 200 && done.body!.completed === true) completed++;
          }
          holders.delete(id);
        }
      }),
    );

    const p99 = percentile(latencies, 99);
    console.log(
      `load: ${AGENTS} agents, ${SECONDS} s, ${latencies.length} requests, ${completed} tasks completed, ` +
        `${transitions} transitions, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, ` +
        `max ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(1)} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(fiveHundreds).toEqual([]);
    expect(doubleClaims).toEqual([]);
    expect(p99).toBeLessThan(SERVER_TIMEOUT_S * 1000);
    expect(completed).toBeGreaterThan(0);
    expect(server.child.exitCode).toBeNull();
    const verify = await tryFetch(`${base}/api/v1/audit/verify`, { token: operator });
    expect(verify.body).toMatchObject({ valid: true });
  });
});
