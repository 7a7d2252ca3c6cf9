import { accessToken } from '../support/tokens.js';
import { startCluster, type Cluster } from './support/cluster.js';

const LIMIT = 60;
const PER_INSTANCE = 40;

/**
 * `security.rate_limit_per_minute` is the cluster's limit: with three live instances each allows
 * a third of it, so a subject spreading its requests over all three gets about the limit in all,
 * not three times it (docs/SECURITY.md, "Hardening").
 */
describe('the per-subject rate limit over three instances', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ env: { ORCHESTRATOR_SECURITY_RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  }, 60_000);
  afterAll(() => cluster?.dispose());

  it('a subject sending 40 requests to each instance gets about 60 in all', async () => {
    // Every instance must have seen the other two at a heartbeat (every 5 s) before the burst.
    const deadline = Date.now() + 20_000;
    for (const instance of cluster.instances) {
      for (;;) {
        const status = await instance.http.get<{ instances: { live: number } }>('/', undefined);
        if (status.body.instances.live === 3) break;
        if (Date.now() > deadline) throw new Error(`${instance.name} never saw 3 live instances`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const operator = accessToken('operator', 'multi-rate-op');
    const accepted = await Promise.all(
      cluster.instances.map(async (instance) => {
        const statuses: number[] = [];
        for (let i = 0; i < PER_INSTANCE; i++) {
          statuses.push((await instance.http.get('/api/v1/tasks?limit=1', operator)).status);
        }
        expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
        return statuses.filter((s) => s === 200).length;
      }),
    );
    // Each share is 20 a minute; the burst lasts seconds, refilling a few more. Without the
    // share every instance would accept all 40.
    for (const n of accepted) {
      expect(n).toBeGreaterThanOrEqual(LIMIT / 3);
      expect(n).toBeLessThan(LIMIT / 3 + 6);
    }
    const total = accepted.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(LIMIT + 15);
  }, 60_000);
});
