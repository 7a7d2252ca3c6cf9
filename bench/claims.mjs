/** The claims scenario: N agents claim from a deep queue as fast as they can; no task twice. */
/* global performance */
import { call, percentile, token } from './http.mjs';

/**
 * `agents` concurrent loops, each claiming under a fresh agent identity per claim (an agent
 * holding a task would get it back, which is a resume, not a new claim), until `seconds` pass.
 * Every task id claimed is recorded across all rounds: one seen twice is a double claim.
 */
export async function claimRound(base, agents, seconds, seen, round) {
  const deadline = Date.now() + seconds * 1000;
  const latencies = [];
  let claims = 0;
  let duplicates = 0;
  let failures = 0;
  let empty = 0;
  const firstFailures = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: agents }, async (_, worker) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const agent = token('agent', `claims-${round}-${worker}-${n}`);
        const res = await call(base, 'POST', '/api/v1/tasks/claim', agent, {});
        latencies.push(res.ms);
        if (res.status === 204) {
          empty++; // the queue ran dry: --queue is too small for the duration
          continue;
        }
        const id = res.body?.task?.id;
        if (res.status !== 200 || typeof id !== 'string' || res.body.resumed) {
          failures++;
          if (firstFailures.length < 3) firstFailures.push({ status: res.status, body: res.body });
          continue;
        }
        claims++;
        if (seen.has(id)) duplicates++;
        else seen.add(id);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    agents,
    claims,
    claims_per_s: Math.round(claims / elapsed),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.round((latencies.at(-1) ?? 0) * 100) / 100,
    double_claims: duplicates,
    empty,
    failures,
    first_failures: firstFailures,
  };
}
