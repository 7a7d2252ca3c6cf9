import { type Registry } from 'prom-client';

/**
 * prom-client's defaults name three gauges `*_total`, a suffix Prometheus reserves for
 * counters (`promtool check metrics` rejects them). They are dropped; the correctly named
 * `nodejs_active_resources` gauge from the same defaults carries that information.
 */
const MISNAMED_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Removes the misnamed process gauges that prom-client's `collectDefaultMetrics` registered. */
export function dropMisnamedGauges(registry: Registry): void {
  for (const name of MISNAMED_GAUGES) registry.removeSingleMetric(name);
}
