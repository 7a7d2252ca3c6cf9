/**
 * Microbenchmark of the two decisions on the hot path, for the default workflow:
 * tool decisions (every tool call) and transition decisions (every phase change).
 * A bare loop calling a trivial function gives a baseline for the ratio.
 *
 *   npm run bench:policy            (BENCH_SECONDS=2 by default per case)
 *
 * Prints a table and writes bench/results/policy.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { artifactDigest } from '../src/workflow/domain/artifact-digest.js';
import { decideTool, type ToolDecisionInput } from '../src/workflow/domain/tool-policy.js';
import { decideTransition, type TransitionInput } from '../src/workflow/domain/transition-decision.js';
import { loadWorkflowFile } from '../src/workflow/domain/workflow.loader.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);
const ROOT = '/srv/orchestrator/workspaces/task-42';
const wf = loadWorkflowFile('workflows/agent_workflow.yaml');
const policy = wf.runtime.toolPolicy;

/** A mix like a real agent session: mostly reads and test runs, some writes, a few denials. */
const toolCalls: ToolDecisionInput[] = [
  { phase: 'PLAN', tool: 'read_files', args: { path: 'src/auth/login.ts' }, workspaceRoot: ROOT },
  { phase: 'PLAN', tool: 'search_files', args: { pattern: 'rateLimit', path: 'src' }, workspaceRoot: ROOT },
  { phase: 'PLAN', tool: 'write_files', args: { path: 'src/a.ts' }, workspaceRoot: ROOT },
  {
    phase: 'TDD',
    tool: 'write_files',
    args: { path: 'tests/auth/rate-limit.spec.ts', content: '…' },
    workspaceRoot: ROOT,
  },
  {
    phase: 'TDD',
    tool: 'write_files',
    args: { path: 'src/auth/login.ts', content: '…' },
    workspaceRoot: ROOT,
  },
  { phase: 'TDD', tool: 'bash', args: { command: 'npx jest tests/auth --ci' }, workspaceRoot: ROOT },
  { phase: 'TDD', tool: 'bash', args: { command: 'npm test; curl http://evil' }, workspaceRoot: ROOT },
  { phase: 'IMPL', tool: 'edit_files', args: { file_path: 'src/auth/rate-limit.ts' }, workspaceRoot: ROOT },
  { phase: 'IMPL', tool: 'write_files', args: { path: '../../etc/passwd' }, workspaceRoot: ROOT },
  { phase: 'IMPL', tool: 'bash', args: { command: 'npm run build -- --noEmit' }, workspaceRoot: ROOT },
  { phase: 'REVIEW', tool: 'git_diff', args: {}, workspaceRoot: ROOT },
  {
    phase: 'COMPLETE',
    tool: 'git_commit',
    args: { message: 'Add rate limit', paths: ['src/auth/rate-limit.ts'] },
    workspaceRoot: ROOT,
  },
];

const plan = {
  title: 'Login rate limit',
  summary: 'Limit failed logins per account.',
  acceptance_criteria: [
    { id: 'AC1', description: 'Five failures lock the account for 15 minutes' },
    { id: 'AC2', description: 'A success resets the counter' },
  ],
  implementation_steps: ['Add a counter', 'Check it in the login handler'],
  open_questions: [],
};
const artifacts = {
  plan_document: plan,
  scope_definition: {
    in_scope: ['login handler'],
    out_of_scope: ['signup'],
    files_to_modify: ['src/auth/**'],
  },
  test_files: { files: [{ path: 'tests/auth/rate-limit.spec.ts', covers: ['AC1', 'AC2'] }] },
  implementation_files: { files: [{ path: 'src/auth/rate-limit.ts', change_type: 'added' }] },
  review_report: { reviews: [{ model: 'reviewer-a', status: 'completed', verdict: 'approve', issues: [] }] },
};
const red = { command: 'npm test', exit_code: 1, passed: 0, failed: 2 };
const green = {
  command: 'npm test',
  exit_code: 0,
  passed: 12,
  failed: 0,
  skipped: 0,
  coverage: { lines: 91 },
};

const transitions: TransitionInput[] = [
  {
    currentPhase: 'PLAN',
    targetPhase: 'TDD',
    artifacts,
    approvals: new Map([['plan_approved', artifactDigest(artifacts)]]),
  },
  {
    currentPhase: 'PLAN',
    targetPhase: 'TDD',
    artifacts: { plan_document: { ...plan, acceptance_criteria: [] } },
    approvals: new Map(),
  },
  { currentPhase: 'TDD', targetPhase: 'IMPL', artifacts: { ...artifacts, test_run_result: red } },
  { currentPhase: 'IMPL', targetPhase: 'REVIEW', artifacts: { ...artifacts, test_run_result: green } },
  { currentPhase: 'IMPL', targetPhase: 'REVIEW', artifacts: { ...artifacts, test_run_result: red } },
  { currentPhase: 'REVIEW', targetPhase: 'COMPLETE', artifacts },
];

interface Result {
  readonly name: string;
  readonly ops: number;
  readonly ops_per_second: number;
  readonly ns_per_op: number;
}

let sink = 0;

/** Runs `fn` over the inputs round-robin for about SECONDS, after a warm-up. */
function measure<T>(name: string, inputs: readonly T[], fn: (input: T) => number): Result {
  const run = (n: number) => {
    for (let i = 0; i < n; i++) sink += fn(inputs[i % inputs.length]);
  };
  run(20_000);
  let ops = 0;
  let batch = 1_000;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < deadline) {
    run(batch);
    ops += batch;
    now = process.hrtime.bigint();
    if (batch < 100_000) batch *= 2;
  }
  const ns = Number(now - start);
  return {
    name,
    ops,
    ops_per_second: Math.round((ops / ns) * 1e9),
    ns_per_op: Math.round((ns / ops) * 10) / 10,
  };
}

const noop = (x: number) => x & 1;
const numbers = Array.from({ length: 12 }, (_, i) => i);

const results = [
  measure('baseline: bare loop calling a trivial function', numbers, noop),
  measure('tool decisions (mixed, 12 cases)', toolCalls, (input) =>
    decideTool(policy, input).allowed ? 1 : 0,
  ),
  measure('tool decision: read_files allowed', [toolCalls[0]], (input) =>
    decideTool(policy, input).allowed ? 1 : 0,
  ),
  measure('tool decision: bash command parsed', [toolCalls[5]], (input) =>
    decideTool(policy, input).allowed ? 1 : 0,
  ),
  measure('transition decisions (mixed, 6 cases)', transitions, (input) =>
    decideTransition(wf, input).allowed ? 1 : 0,
  ),
];

const baseline = results[0].ops_per_second;
const rows = results.map((r) => ({
  ...r,
  slowdown_vs_baseline: Math.round((baseline / r.ops_per_second) * 10) / 10,
}));
const pad = (s: string, n: number) => s.padEnd(n);
console.log(
  `Policy benchmark: workflow ${wf.name} ${wf.version}, node ${process.version}, ${SECONDS}s per case\n`,
);
console.log(
  `${pad('case', 50)} ${'ops/s'.padStart(14)} ${'ns/op'.padStart(10)} ${'× baseline'.padStart(12)}`,
);
for (const r of rows) {
  console.log(
    `${pad(r.name, 50)} ${r.ops_per_second.toLocaleString('en-US').padStart(14)} ${String(r.ns_per_op).padStart(10)} ${String(r.slowdown_vs_baseline).padStart(12)}`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/policy.json',
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, workflow: `${wf.name}@${wf.version}`, seconds_per_case: SECONDS, results: rows }, null, 2)}\n`,
);
// Printing the sink keeps the work observable, so no call can be optimised away.
console.log(`\n(checksum ${sink})`);
