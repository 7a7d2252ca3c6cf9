/**
 * Example agent: claims a task and walks the default workflow PLAN → TDD → IMPL → REVIEW → COMPLETE.
 *
 *   ORCHESTRATOR_URL=http://127.0.0.1:8000 ORCHESTRATOR_TOKEN=<agent access token> npm run example:agent
 *
 * Optional: ORCHESTRATOR_TOKEN_FILE (share the phase token with the Claude Code hook),
 * ORCHESTRATOR_CAPABILITIES (comma-separated), ORCHESTRATOR_APPROVAL_TIMEOUT_SECONDS (default 600),
 * ORCHESTRATOR_OPERATOR_TOKEN: an operator's access token; when set, the example approves its own
 * approval gates with it so the demo runs to the end (in real use a human reviews and approves).
 */
import { AgentClient, OrchestratorError, TransitionBlockedError } from '../src/sdk/index.js';
import { artifactsFor } from './example-artifacts.js';

const NEXT: Record<string, string> = { PLAN: 'TDD', TDD: 'IMPL', IMPL: 'REVIEW', REVIEW: 'COMPLETE' };

const log = (message: string) => console.log(`[agent] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The token's subject: the server refuses an agent_id that differs from it. */
function subjectOf(token: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: string;
    };
    return claims.sub ?? 'example-agent';
  } catch {
    return 'example-agent';
  }
}

const onlyAwaitsApproval = (error: TransitionBlockedError) =>
  error.blockers.length > 0 &&
  error.blockers.every(
    (b) => typeof b === 'object' && b !== null && (b as { check?: string }).check === 'approval_required',
  );

interface ApprovalBlocker {
  gate?: string;
  digest?: string;
  message: string;
}

/** Demo only: approves the gates a blocked transition waits for, as the operator whose token is given. */
async function approveAsOperator(
  baseUrl: string,
  operatorToken: string,
  taskId: string,
  blockers: readonly ApprovalBlocker[],
): Promise<void> {
  for (const { gate, digest } of blockers) {
    if (!gate) throw new Error('an approval blocker names no gate');
    log(
      `approving gate ${gate} myself with ORCHESTRATOR_OPERATOR_TOKEN (demo only: a human approves in real use)`,
    );
    const response = await fetch(
      `${baseUrl}/api/v1/tasks/${encodeURIComponent(taskId)}/gates/${encodeURIComponent(gate)}/approve`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          comment: 'approved by the example agent (demo)',
          ...(digest ? { digest } : {}),
        }),
      },
    );
    if (!response.ok)
      throw new Error(`approving ${gate} failed: ${response.status} ${await response.text()}`);
  }
}

/**
 * Retries a transition that only waits for an operator's approval, with backoff, until the deadline;
 * with an operator token, approves it itself first.
 */
async function transitionWhenApproved(
  client: AgentClient,
  target: string,
  artifacts: Record<string, unknown>,
  timeoutMs: number,
  selfApprove?: (taskId: string, blockers: readonly ApprovalBlocker[]) => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 500;
  let announced = false;
  for (;;) {
    try {
      await client.requestTransition(target, artifacts);
      return;
    } catch (error) {
      if (!(error instanceof TransitionBlockedError) || !onlyAwaitsApproval(error)) throw error;
      if (selfApprove && client.taskId) {
        await selfApprove(client.taskId, error.blockers as ApprovalBlocker[]);
        selfApprove = undefined; // once: a second block means the approval did not take
        continue;
      }
      if (!announced) {
        log(
          `waiting for operator approval: ${error.blockers.map((b) => (b as { message: string }).message).join('; ')}`,
        );
        log(`  approve with: POST /api/v1/tasks/${client.taskId}/gates/<gate>/approve (operator token)`);
        announced = true;
      }
      if (Date.now() + delay > deadline)
        throw new Error(`no approval within ${timeoutMs / 1000} s`, { cause: error });
      await sleep(delay);
      delay = Math.min(delay * 1.5, 5000);
    }
  }
}

async function main(): Promise<number> {
  const accessToken = required('ORCHESTRATOR_TOKEN');
  const timeoutMs = Number(process.env.ORCHESTRATOR_APPROVAL_TIMEOUT_SECONDS ?? 600) * 1000;
  const baseUrl = required('ORCHESTRATOR_URL').replace(/\/+$/, '');
  const operatorToken = process.env.ORCHESTRATOR_OPERATOR_TOKEN;
  await using client = new AgentClient({
    baseUrl,
    agentId: subjectOf(accessToken),
    accessToken,
    tokenFile: process.env.ORCHESTRATOR_TOKEN_FILE,
    heartbeat: { onError: (error) => log(`heartbeat failed: ${String(error)}`) },
  });
  const capabilities = (process.env.ORCHESTRATOR_CAPABILITIES ?? '').split(',').filter(Boolean);
  const claim = await client.claimTask({ capabilities });
  if (!claim) {
    log('no eligible task; nothing to do');
    return 0;
  }
  // A claim by an agent that already holds a task (this run restarted after a crash) resumes it.
  log(
    `${claim.resumed ? 'resumed' : 'claimed'} ${claim.task.id} "${claim.task.title}" in phase ${claim.phase} (lease until ${claim.lease_expires_at})`,
  );
  const artifacts = artifactsFor(claim.task.title);
  const selfApprove = operatorToken
    ? (taskId: string, blockers: readonly ApprovalBlocker[]) =>
        approveAsOperator(baseUrl, operatorToken, taskId, blockers)
    : undefined;

  try {
    while (client.phase && client.phase !== 'COMPLETE') {
      const phase = client.phase;
      const target = NEXT[phase];
      if (!target) throw new Error(`the example does not know phase ${phase}`);
      const read = await client.authorizeTool('read_files', { path: 'README.md' });
      const write = await client.authorizeTool('write_files', { path: 'src/limits/limiter.ts', content: '' });
      log(
        `${phase}: read_files ${read.allowed ? 'allowed' : 'denied'}, write_files src/ ${write.allowed ? 'allowed' : 'denied'} (${write.reason})`,
      );
      log(
        `${phase} → ${target}: submitting ${Object.keys(artifacts[phase as keyof typeof artifacts]).join(', ')}`,
      );
      await transitionWhenApproved(
        client,
        target,
        artifacts[phase as keyof typeof artifacts],
        timeoutMs,
        selfApprove,
      );
      log(`now in ${client.phase}; allowed tools: ${client.allowedTools.join(', ')}`);
    }
    const done = await client.complete(artifacts.COMPLETE);
    log(`completed ${done.task.id}: status ${done.task.status}`);
    return 0;
  } catch (error) {
    log(`giving up: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof TransitionBlockedError) log(`blockers: ${JSON.stringify(error.blockers)}`);
    // Hand the task back so another agent (or a later run) can pick it up where it stopped.
    if (client.taskId)
      await client
        .fail(error instanceof Error ? error.message : 'example agent failed')
        .catch(() => undefined);
    return 1;
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(
      `[agent] ${error instanceof OrchestratorError ? `${error.code}: ${error.message}` : String(error)}`,
    );
    process.exitCode = 1;
  },
);
