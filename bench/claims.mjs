/** The claims scenario: N agents claim from a deep queue as fast as they can; no task twice. */
/* global performance */
import { percentile, post, token } from './http.mjs';
import { cpuSeconds } from './server.mjs';

/**
 * `agents` concurrent loops, each claiming under a fresh agent identity per claim (an agent
 * holding a task would get it back, which is a resume, not a new claim), until `seconds` pass.
 * Every task id claimed is recorded across all rounds: one seen twice is a double claim.
 * `cpu_us` is the server's CPU time per claim (process `pid`), `client_cpu_us` the bench's own.
 */
export async function claimRound({ url: base, pid }, agents, seconds, seen, round) {
  const deadline = Date.now() + seconds * 1000;
  const latencies = [];
  let claims = 0;
  let duplicates = 0;
  let failures = 0;
  let empty = 0;
  const firstFailures = [];
  const started = performance.now();
  const serverCpu = cpuSeconds(pid);
  const clientCpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: agents }, async (_, worker) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const agent = token('agent', `claims-${round}-${worker}-${n}`);
        const res = await post(base, '/api/v1/tasks/claim', agent, {});
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
  const perClaim = (seconds) => (claims > 0 ? Math.round((seconds / claims) * 1e6) : null);
  const client = process.cpuUsage(clientCpu);
  latencies.sort((a, b) => a - b);
  return {
    agents,
    claims,
    claims_per_s: Math.round(claims / elapsed),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.round((latencies.at(-1) ?? 0) * 100) / 100,
    cpu_us: perClaim(cpuSeconds(pid) - serverCpu),
    client_cpu_us: perClaim((client.user + client.system) / 1e6),
    double_claims: duplicates,
    empty,
    failures,
    first_failures: firstFailures,
  };
}
