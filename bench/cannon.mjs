/** autocannon with the bench's common settings. */
import autocannon from 'autocannon';
import { cpuSeconds } from './server.mjs';

/**
 * autocannon against the server process `pid`; returns the numbers we report. `cpu_us` is the
 * server's CPU time (user + system) per request: what a request costs the server, whatever share
 * of the 2 cores the load generator took.
 */
export async function cannon(name, opts, pid, settings) {
  const cpuBefore = cpuSeconds(pid);
  const result = await autocannon({
    connections: opts.connections,
    duration: opts.duration,
    ...settings,
    headers: { 'content-type': 'application/json', ...settings.headers },
  });
  return {
    scenario: name,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    cpu_us:
      result.requests.total > 0
        ? Math.round(((cpuSeconds(pid) - cpuBefore) / result.requests.total) * 1e6)
        : null,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
