/** The bench's tables, printed from the report run.mjs writes to bench/results/latest.json. */

export function table(rows, columns) {
  const cells = rows.map((r) =>
    columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals) => vals.map((v, i) => v.padStart(widths[i])).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const ratio = (a, b) =>
  typeof a === 'number' && typeof b === 'number' && b > 0 ? Math.round((a / b) * 100) / 100 : null;

/**
 * postgres / file for every number both backends measured in this run (same machine, same
 * minute: the ratio is what survives the noise of a shared host).
 */
export function compareBackends(report) {
  const rows = [];
  const pick = (backend, scenario) =>
    report.scenarios.find((r) => r.backend === backend && r.scenario === scenario);
  for (const file of report.scenarios.filter((r) => r.backend === 'file')) {
    const pg = pick('postgres', file.scenario);
    if (!pg) continue;
    const metrics =
      file.scenario === 'lifecycle' ? ['transitions_per_s', 'rps', 'p99'] : ['rps', 'p99', 'cpu_us'];
    for (const m of metrics)
      rows.push({
        scenario: file.scenario,
        metric: m,
        file: file[m],
        postgres: pg[m],
        'pg/file': ratio(pg[m], file[m]),
      });
  }
  for (const file of report.claims.filter((r) => r.backend === 'file')) {
    const pg = report.claims.find((r) => r.backend === 'postgres' && r.agents === file.agents);
    if (!pg) continue;
    for (const m of ['claims_per_s', 'p99', 'cpu_us'])
      rows.push({
        scenario: `claims ${file.agents} agents`,
        metric: m,
        file: file[m],
        postgres: pg[m],
        'pg/file': ratio(pg[m], file[m]),
      });
  }
  return rows;
}

/** The mixed workload per instance count, its ratios to 1 instance, and the correctness check. */
function printInstances({ rows, authorize_per_phase, warmup_s, tasks }, opts) {
  console.log(
    `\nMixed workload on one PostgreSQL database (${opts.connections} agents round-robin over the instances, ` +
      `${authorize_per_phase} authorize calls per phase, ${tasks} queued tasks, ${warmup_s} s warm-up + ${opts.duration} s; ` +
      'latency ms, CPU µs per request: servers summed, PostgreSQL backends, load generator):\n',
  );
  const cells = rows.map((r) => ({
    ...r,
    'transitions/s': r.transitions_per_s,
    'vs 1': r.vs_1?.transitions_per_s,
    'authorize/s': r.authorize_rps,
    'auth vs 1': r.vs_1?.authorize_rps,
    'cpu vs 1': r.vs_1?.cpu_us,
  }));
  console.log(
    table(cells, [
      'instances',
      'transitions/s',
      'vs 1',
      'authorize/s',
      'auth vs 1',
      'rps',
      'p50',
      'p99',
      'cpu_us',
      'cpu vs 1',
      'preempted_per_1k',
      'pg_cpu_us',
      'pg_xacts_per_request',
      'pg_backends',
      'client_cpu_us',
      'load_1m',
    ]),
  );
  console.log('\nCorrectness (every request of the point, warm-up and drain included):\n');
  const checks = rows.map((r) => ({
    instances: r.instances,
    claims: r.claims,
    completed: r.completed,
    db_completed: r.db_tasks.completed ?? 0,
    double_claims: r.double_claims,
    '2xx': r.statuses['2xx'],
    '4xx': r.statuses['4xx'],
    '5xx': r.statuses['5xx'],
    net_errors: r.statuses.network_errors,
    verdict: r.correctness,
  }));
  console.log(
    table(checks, [
      'instances',
      'claims',
      'completed',
      'db_completed',
      'double_claims',
      '2xx',
      '4xx',
      '5xx',
      'net_errors',
      'verdict',
    ]),
  );
  for (const r of rows.filter((x) => x.first_failures.length > 0))
    console.log(`instances ${r.instances} first failures: ${JSON.stringify(r.first_failures)}`);
}

const ratioCell = (h) => `${h.median_ratio}x (p95 ${h.p95_ratio}x)`;

export function printReport(report, opts) {
  console.log(
    `\nWorkflow Orchestrator bench — ${report.machine.cores} cores, node ${report.machine.node}, ` +
      `${opts.connections} connections, ${opts.duration} s, audit fsync ${opts.auditFsync ? 'on' : 'off'}, ` +
      `backends ${opts.backends.join('+')}, load average ${report.load_average.start.join(' ')} → ${report.load_average.end.join(' ')}\n`,
  );
  const results = report.scenarios;
  if (results.length > 0)
    console.log(
      table(results, [
        'backend',
        'scenario',
        'rps',
        'ratio',
        'p50',
        'p90',
        'p99',
        'max',
        'requests',
        'cpu_us',
        'cpu_ratio',
        'cpu_vs_lean',
        'rps_vs_lean',
        'cpu_vs_fastify',
        'non2xx',
        'errors',
      ]),
    );
  if (report.targets?.length > 0) {
    console.log('\nTargets (issue 19):\n');
    console.log(table(report.targets, ['target', 'value', 'met']));
  }
  for (const life of results.filter((r) => r.scenario === 'lifecycle'))
    console.log(
      `\nlifecycle (${life.backend}): ${life.agents} agents, ${life.tasks_completed} tasks completed (${life.tasks_per_s}/s), ` +
        `${life.transitions_per_s} transitions/s, ${life.approvals} approvals, ${life.failures} failed requests`,
    );
  for (const [backend, b] of Object.entries(report.backends)) {
    const s = b.server;
    if (s?.rss_mb_peak !== undefined)
      console.log(
        `\nRSS (${backend}, 10,000 tasks, MB): ${s.rss_mb_10k_loaded} loaded, median ${s.rss_mb_median} and peak ${s.rss_mb_peak} ` +
          `while the scenarios ran, ${s.rss_mb_after_run} after`,
      );
    if (b.claims_server)
      console.log(
        `RSS (${backend}, claims server, ${opts.queue} tasks, MB): median ${b.claims_server.rss_mb_median}, peak ${b.claims_server.rss_mb_peak}`,
      );
  }
  if (report.claims.length > 0) {
    console.log(`\nClaims from a queue of ${opts.queue} tasks, ${opts.duration} s per round (latency ms):\n`);
    console.log(
      table(report.claims, [
        'backend',
        'agents',
        'claims',
        'claims_per_s',
        'p50',
        'p99',
        'max',
        'cpu_us',
        'client_cpu_us',
        'double_claims',
        'empty',
        'failures',
      ]),
    );
  }
  if (report.comparison.length > 0) {
    console.log('\npostgres vs file, same run:\n');
    console.log(table(report.comparison, ['scenario', 'metric', 'file', 'postgres', 'pg/file']));
  }
  if (report.instances) printInstances(report.instances, opts);
  if (report.scaling) {
    console.log('\nCost vs tasks in the store (file backend, latency ms):\n');
    console.log(
      table(report.scaling, [
        'tasks',
        'seed_ms',
        'startup_ms_snapshot',
        'startup_ms_journal',
        'rss_mb',
        'snapshot_rps',
        'snapshot_p99',
        'list_rps',
        'list_p99',
        'claim_rps',
        'claim_p50',
        'claim_p99',
      ]),
    );
  }
  if (report.hook) {
    const h = report.hook;
    console.log(`\nClaude Code hook, whole process per tool call (${h.runs} runs each, interleaved):\n`);
    console.log(
      table(
        [
          { command: "node -e '' (baseline)", ...h.node, ratio: '1x' },
          { command: 'curl hook (settings default)', ...h.curl, ratio: ratioCell(h.curl) },
          { command: 'node hook (--hook node)', ...h.hook, ratio: ratioCell(h.hook) },
          { command: 'cli hook claude-code', ...h.cli, ratio: ratioCell(h.cli) },
        ],
        ['command', 'median_ms', 'p95_ms', 'max_ms', 'ratio'],
      ),
    );
  }
  if (report.sandbox) {
    const s = report.sandbox;
    console.log(
      `\nCost of one command (echo, ${s.runs} runs each, interleaved; limits per ${s.limits_scope}):\n`,
    );
    console.log(
      table(
        [
          { mode: 'unconfined (before)', ...s.unconfined, ratio: '1x' },
          { mode: 'bubblewrap sandbox', ...s.bubblewrap, ratio: ratioCell(s) },
        ],
        ['mode', 'median_ms', 'p95_ms', 'max_ms', 'ratio'],
      ),
    );
  }
  console.log(`\ntotal ${report.total_s} s`);
}
