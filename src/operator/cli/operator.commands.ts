import { type Command, InvalidArgumentError } from 'commander';
import { terminalText } from '../../common/cli/terminal-text.js';
import { HttpTransport } from '../../sdk/http.transport.js';
import { type CliOutput, processOutput } from '../../workflow/cli/workflow.commands.js';
import { EventCursorFile } from './event-cursor-file.js';
import { runEventsTail } from './events-tail.js';
import { type TaskDetail } from './operator-api.types.js';
import { CliRefusal, CliUsageError, describeError, EXIT_OK, exitCodeFor } from './operator-cli.errors.js';
import { OperatorClient } from './operator-client.js';
import { type ConnectionFlags, resolveConnection } from './operator-connection.js';
import { formatAgents, formatApprovals, formatTask, formatTaskPage } from './operator-views.js';

export interface OperatorCliDeps {
  io: CliOutput;
  env: NodeJS.ProcessEnv;
  setExitCode(code: number): void;
  /** Ends the process for a command line commander refused (exit 2) or for --help (exit 0). */
  exit(code: number): never;
  fetch?: typeof fetch;
}

const processDeps: OperatorCliDeps = {
  io: processOutput,
  env: process.env,
  setExitCode: (code) => {
    process.exitCode = code;
  },
  exit: (code) => process.exit(code),
};

interface CommonFlags extends ConnectionFlags {
  json?: boolean;
}

interface Context<F> {
  client: OperatorClient;
  flags: F;
  args: string[];
  /** Prints `value` as JSON with --json, else `text()`. */
  print(value: unknown, text: () => string): void;
}

/** The CLI's default timeout for one HTTP attempt; GETs are retried twice on a network error, 429 or 5xx. */
const TIMEOUT_MS = 15_000;

function wholeNumber(min: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(
        `${what} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, got ${value}`,
      );
    return n;
  };
}

/**
 * The operator commands: `tasks list|show|approve|reject|cancel|requeue`, `approvals list`,
 * `agents list`, `events tail`. They talk to a running server (`--url` / ORCHESTRATOR_URL) with an
 * operator token (ORCHESTRATOR_TOKEN or `--token-file`). Exit codes: 0 ok, 1 refused by the server
 * (4xx), 2 bad usage or no answer (unreachable, 429 after retries, 5xx). See docs/OPERATOR_CLI.md.
 */
export function registerOperatorCommands(program: Command, deps: OperatorCliDeps = processDeps): void {
  const group = (name: string, description: string) =>
    program
      .command(name)
      .description(description)
      // Usage errors exit 2 here (commander's own default is 1, which means "refused" for these commands).
      .exitOverride((error) => deps.exit(error.exitCode === 0 ? 0 : 2));

  const leaf = <F extends CommonFlags>(
    parent: Command,
    name: string,
    description: string,
    handler: (ctx: Context<F>) => Promise<void>,
  ): Command =>
    parent
      .command(name)
      .description(description)
      .option('--url <url>', 'the server (default ORCHESTRATOR_URL)')
      .option(
        '--token-file <file>',
        'read the operator token from FILE instead of ORCHESTRATOR_TOKEN (no --token flag: its value would show in ps)',
      )
      .option('--json', 'print the server’s answer as JSON (events: one JSON object per line)')
      .action(async (...params: unknown[]) => {
        const command = params[params.length - 1] as Command;
        await runAction(command.opts<F>(), command.processedArgs as string[], handler, deps);
      });

  const tasks = group('tasks', 'tasks on a running server (operator token)');
  leaf<
    CommonFlags & {
      status?: string;
      phase?: string;
      agent?: string;
      blocked?: boolean;
      limit?: number;
      cursor?: string;
    }
  >(
    tasks,
    'list',
    'list tasks with status, phase, holder and what blocks them',
    async ({ client, flags, print }) => {
      const page = await client.listTasks({
        status: flags.status,
        phase: flags.phase,
        agent_id: flags.agent,
        blocked: flags.blocked,
        limit: flags.limit,
        cursor: flags.cursor,
      });
      print(page, () => formatTaskPage(page));
    },
  )
    .option('--status <status>', 'queued, claimed, completed, failed or cancelled')
    .option('--phase <phase>', 'tasks in this phase')
    .option('--agent <agent-id>', 'tasks held by this agent')
    .option('--blocked', 'only tasks whose last transition or completion was refused (blocked_on set)')
    .option('--no-blocked', 'only tasks that are not blocked')
    .option('--limit <n>', 'tasks per page (at most 500; default 50)', wholeNumber(1, '--limit'))
    .option('--cursor <cursor>', 'the next page (printed under the table)');

  leaf(tasks, 'show', 'one task: fields, blockers, approvals waiting and decided, history', async (ctx) => {
    const task = await ctx.client.getTask(ctx.args[0]);
    ctx.print(task, () => formatTask(task));
  }).argument('<task-id>');

  for (const decision of ['approve', 'reject'] as const) {
    leaf<CommonFlags & { comment?: string; digest?: string }>(
      tasks,
      decision,
      `${decision} the artifacts waiting at an approval gate (the gate: the only one waiting, unless named)`,
      async ({ client, flags, args, print }) => {
        const [taskId, named] = args;
        const gate = named ?? onlyWaitingGate(await client.getTask(taskId));
        const task = await client.decideGate(taskId, gate, decision, {
          comment: flags.comment,
          digest: flags.digest,
        });
        print(task, () => terminalText(decisionLine(task, gate, decision)));
      },
    )
      .argument('<task-id>')
      .argument('[gate-id]', 'the approval gate (default: the one the task waits at)')
      .option('--comment <text>', 'why (stored with the decision)')
      .option(
        '--digest <sha256>',
        'the digest you reviewed (tasks show); refused if the agent has submitted others since',
      );
  }

  leaf<CommonFlags & { comment?: string }>(
    tasks,
    'cancel',
    'cancel a task; its holder’s phase token stops working',
    async (ctx) => {
      const task = await ctx.client.cancel(ctx.args[0], ctx.flags.comment);
      ctx.print(task, () => terminalText(`cancelled task ${task.id} (${task.phase}): status ${task.status}`));
    },
  )
    .argument('<task-id>')
    .option('--comment <text>', 'why');

  leaf<CommonFlags & { reason?: string; keepAttempts?: boolean }>(
    tasks,
    'requeue',
    'put a failed or cancelled task back in the queue',
    async ({ client, flags, args, print }) => {
      const task = await client.requeue(args[0], {
        ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
        ...(flags.keepAttempts ? { reset_attempts: false } : {}),
      });
      print(task, () =>
        terminalText(
          `requeued task ${task.id} (${task.phase}): status ${task.status}, attempts ${task.attempts}/${task.max_attempts}`,
        ),
      );
    },
  )
    .argument('<task-id>')
    .option('--reason <text>', 'why (audited)')
    .option('--keep-attempts', 'keep the attempt count (default: a fresh budget of max_attempts claims)');

  const approvals = group('approvals', 'approvals on a running server (operator token)');
  leaf(approvals, 'list', 'every approval requested and not yet decided', async ({ client, print }) => {
    const answer = await client.listApprovals();
    print(answer, () => formatApprovals(answer.approvals));
  });

  const agents = group('agents', 'agents seen by a running server (operator token)');
  leaf(
    agents,
    'list',
    'agents with their tasks, last heartbeat and denials of the last hour',
    async ({ client, print }) => {
      const answer = await client.listAgents();
      print(answer, () => formatAgents(answer.agents, answer.denials_since, answer.denials_truncated));
    },
  );

  const events = group('events', 'the event stream of a running server (operator token)');
  leaf<
    CommonFlags & {
      since?: number;
      fromLast?: boolean;
      cursorFile?: string;
      type?: string;
      task?: string;
      limit?: number;
      untilIdle?: number | true;
    }
  >(events, 'tail', 'print events as they happen (Ctrl-C stops); resumable', async ({ client, flags }) => {
    if (flags.fromLast && flags.since !== undefined)
      throw new CliUsageError('--since and --from-last exclude each other');
    if (flags.fromLast && !flags.cursorFile) throw new CliUsageError('--from-last needs --cursor-file FILE');
    const cursor = flags.cursorFile ? new EventCursorFile(flags.cursorFile) : undefined;
    let after = flags.since;
    if (flags.fromLast) {
      after = cursor!.read();
      if (after === undefined)
        deps.io.err(`orchestrator: ${flags.cursorFile} holds no event id yet; printing new events`);
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await runEventsTail({
        client,
        after,
        type: flags.type,
        taskId: flags.task,
        limit: flags.limit,
        untilIdleMs: flags.untilIdle === true ? 1000 : flags.untilIdle,
        cursor,
        json: flags.json === true,
        signal: stop.signal,
        io: deps.io,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  })
    .option(
      '--since <id>',
      'start after this event id (0: every event the server keeps)',
      wholeNumber(0, '--since'),
    )
    .option('--cursor-file <file>', 'store the id of each event printed in FILE')
    .option('--from-last', 'start after the id stored in --cursor-file')
    .option('--type <type>', 'only events of this type, e.g. gate.blocked')
    .option('--task <task-id>', 'only events of this task')
    .option('--limit <n>', 'stop after N events', wholeNumber(0, '--limit'))
    .option(
      '--until-idle [ms]',
      'stop once no event came for this long (default 1000 ms)',
      wholeNumber(1, '--until-idle'),
    );
}

async function runAction<F extends CommonFlags>(
  flags: F,
  args: string[],
  handler: (ctx: Context<F>) => Promise<void>,
  deps: OperatorCliDeps,
): Promise<void> {
  const secrets: string[] = [];
  try {
    const connection = resolveConnection(flags, deps.env);
    secrets.push(connection.token);
    const http = new HttpTransport({
      baseUrl: connection.url,
      accessToken: connection.token,
      fetch: deps.fetch,
      timeoutMs: TIMEOUT_MS,
      retry: { retries: 2 },
    });
    const print = (value: unknown, text: () => string) =>
      deps.io.out(flags.json ? JSON.stringify(value, null, 2) : text());
    await handler({ client: new OperatorClient(http), flags, args, print });
    deps.setExitCode(EXIT_OK);
  } catch (error) {
    deps.io.err(`orchestrator: ${describeError(error, secrets)}`);
    deps.setExitCode(exitCodeFor(error));
  }
}

function onlyWaitingGate(task: TaskDetail): string {
  const gates = [...new Set((task.approval_requests ?? []).map((r) => r.gate_id))];
  if (gates.length === 1) return gates[0];
  if (gates.length === 0)
    throw new CliRefusal(`task ${task.id} waits for no approval; name the gate to decide on`);
  throw new CliUsageError(`task ${task.id} waits at several gates (${gates.join(', ')}); name one`);
}

function decisionLine(task: TaskDetail, gate: string, decision: 'approve' | 'reject'): string {
  const recorded = [...(task.approvals ?? [])].reverse().find((a) => a.gate_id === gate);
  const digest = recorded?.digest ? ` (digest ${recorded.digest})` : '';
  return `${decision === 'approve' ? 'approved' : 'rejected'} gate ${gate} of task ${task.id}${digest}`;
}
