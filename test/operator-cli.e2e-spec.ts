import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { planArtifacts } from './fixtures/artifacts.js';
import { api } from './support/api.js';
import { startTcpProxy } from './support/tcp-proxy.js';
import {
  baseEnv,
  CLI,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  type ServerProcess,
} from './support/server-process.js';
import { accessToken } from './support/tokens.js';

interface Task {
  id: string;
  title: string;
  status: string;
  phase: string;
  approvals: Array<{ gate_id: string; decision: string; digest: string; comment: string | null }>;
  approval_requests: Array<{ gate_id: string; digest: string }>;
}

interface StreamedEvent {
  id: number;
  type: string;
  task_id?: string;
}

/** One CLI run starts a Node process that loads the whole command line: seconds on a loaded machine. */
const CLI_MS = 60_000;
/** Tests that run the CLI several times. */
const MANY_RUNS_MS = 180_000;

/**
 * The operator CLI (issue 20 item 3) against the real server: `orchestrator tasks …` and
 * `events tail` with the token from ORCHESTRATOR_TOKEN, table and --json output, exit codes
 * 0 (ok), 1 (refused by the server), 2 (bad usage, unreachable), and never the token in output.
 */
describe('operator CLI against the real server', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const operator = accessToken('operator', 'cli-op');

  const env = (extra: Record<string, string> = {}) =>
    baseEnv({ ORCHESTRATOR_URL: server.url, ORCHESTRATOR_TOKEN: operator, ...extra });
  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const run = await runCli(args, { env: env(extra), timeoutMs: CLI_MS });
    // Whatever the command, the token never shows.
    expect(run.stdout + run.stderr).not.toContain(operator);
    return run;
  };
  const json = <T>(stdout: string) => JSON.parse(stdout) as T;

  const create = async (title: string, extra: Record<string, unknown> = {}) => {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, { title, ...extra });
    expect(created.status).toBe(201);
    return created.body.id;
  };
  /** Each claimed task is above every task left queued before it. */
  let priority = 1000;
  /** A new task, claimed by a new agent. */
  const claimNew = async (agentId: string, extra: Record<string, unknown> = {}) => {
    const id = await create(`plan of ${agentId}`, { priority: priority++, ...extra });
    const agent = accessToken('agent', agentId);
    const claim = await http.post<{ task: { id: string }; phase_token: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
    );
    expect(claim.body.task.id).toBe(id);
    return { id, agent, phaseToken: claim.body.phase_token };
  };
  /** A new task claimed by a new agent, its plan handed in: it waits at plan_approved. */
  const waitingForApproval = async (agentId: string) => {
    const { id, agent, phaseToken } = await claimNew(agentId);
    const move = () =>
      http.post<{ allowed: boolean; blocker_details: Array<{ check: string }> }>(
        '/api/v1/tasks/transition',
        agent,
        {
          task_id: id,
          current_phase: 'PLAN',
          target_phase: 'TDD',
          phase_token: phaseToken,
          artifacts: planArtifacts,
        },
      );
    expect((await move()).body.blocker_details.map((b) => b.check)).toEqual(['approval_required']);
    return { id, move };
  };

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
  });
  afterAll(() => disposeServer(server));

  it(
    'tasks list: a table by default, the page as JSON with --json, filters passed on',
    async () => {
      const first = await create('list me first');
      const second = await create('list me second');

      const table = await cli(['tasks', 'list']);
      expect(table).toMatchObject({ code: 0, stderr: '' });
      const lines = table.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID\s+STATUS\s+PHASE\s+TITLE\s+HOLDER\s+ATTEMPTS\s+BLOCKED ON\s+UPDATED$/);
      expect(lines[1]).toMatch(/^-+( +-+)+$/);
      expect(lines.find((l) => l.startsWith(first))).toMatch(/queued\s+PLAN\s+list me first\s+-\s+0\/3/);
      expect(lines.some((l) => l.startsWith(second))).toBe(true);
      expect(lines[lines.length - 1]).toMatch(/^\d+ of \d+ tasks$/);

      const page = await cli(['tasks', 'list', '--json', '--status', 'queued', '--limit', '1']);
      expect(page.code).toBe(0);
      const body = json<{ tasks: Task[]; total: number; next_cursor: string | null }>(page.stdout);
      expect(body.tasks).toHaveLength(1);
      expect(body.tasks[0].status).toBe('queued');
      expect(body.total).toBeGreaterThanOrEqual(2);
      expect(body.next_cursor).toEqual(expect.any(String));
      // The table names the next page.
      expect((await cli(['tasks', 'list', '--limit', '1'])).stdout).toContain(
        `next page: --cursor ${body.next_cursor}`,
      );

      // The server's own refusal of a filter: exit 1, the method and URL named.
      const refused = await cli(['tasks', 'list', '--status', 'sleeping']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`GET ${server.url}/api/v1/tasks: 400`);
    },
    MANY_RUNS_MS,
  );

  it(
    'tasks show: fields and history as text, the task as JSON; an unknown id exits 1',
    async () => {
      const id = await create('show me', { priority: -5 });
      const text = await cli(['tasks', 'show', id]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`Task ${id}`);
      expect(text.stdout).toMatch(/^title +show me$/m);
      expect(text.stdout).toMatch(/^priority +-5$/m);
      expect(text.stdout).toMatch(/^History:\nAT +ACTOR +ACTION/m);
      expect(text.stdout).toMatch(/cli-op +created +PLAN +queued/);

      const asJson = await cli(['tasks', 'show', id, '--json']);
      expect(json(asJson.stdout)).toEqual((await http.get(`/api/v1/tasks/${id}`, operator)).body);

      const missing = await cli(['tasks', 'show', 'no-such-task']);
      expect(missing).toMatchObject({ code: 1, stdout: '' });
      expect(missing.stderr).toBe(
        `orchestrator: GET ${server.url}/api/v1/tasks/no-such-task: 404 task_not_found: no task with id 'no-such-task'\n`,
      );
    },
    MANY_RUNS_MS,
  );

  it(
    'tasks reject and approve: the waiting gate by default, --digest and --comment passed on',
    async () => {
      const { id, move } = await waitingForApproval('cli-agent-1');
      const shown = json<Task>((await cli(['tasks', 'show', id, '--json'])).stdout);
      const digest = shown.approval_requests[0].digest;
      expect((await cli(['tasks', 'show', id])).stdout).toMatch(
        new RegExp(`^Waiting for approval:\\nGATE .*\\n.*\\nplan_approved +PLAN +${digest}`, 'm'),
      );

      const rejected = await cli(['tasks', 'reject', id, '--comment', 'needs more criteria']);
      expect(rejected).toMatchObject({ code: 0, stderr: '' });
      expect(rejected.stdout).toBe(`rejected gate plan_approved of task ${id} (digest ${digest})\n`);
      expect((await move()).body.allowed).toBe(false);

      // A digest the agent did not submit: the server refuses (409), exit 1, nothing approved.
      const stale = await cli([
        'tasks',
        'approve',
        id,
        'plan_approved',
        '--digest',
        `sha256:${'0'.repeat(64)}`,
      ]);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain(
        `POST ${server.url}/api/v1/tasks/${id}/gates/plan_approved/approve: 409 approval_digest_mismatch`,
      );

      const approved = await cli(['tasks', 'approve', id, '--digest', digest, '--comment', 'ok', '--json']);
      expect(approved.code).toBe(0);
      const task = json<Task>(approved.stdout);
      expect(task.approvals.map((a) => [a.decision, a.digest, a.comment])).toEqual([
        ['rejected', digest, 'needs more criteria'],
        ['approved', digest, 'ok'],
      ]);
      expect((await move()).body.allowed).toBe(true);

      // Nothing waits any more: without a gate named there is nothing to decide (exit 1, no call made).
      const nothing = await cli(['tasks', 'approve', id]);
      expect(nothing).toMatchObject({ code: 1, stdout: '' });
      expect(nothing.stderr).toContain(`task ${id} waits for no approval; name the gate`);
    },
    MANY_RUNS_MS,
  );

  it(
    'tasks cancel: the task cancelled; cancelling it again is refused with exit 1',
    async () => {
      const id = await create('cancel me');
      const cancelled = await cli(['tasks', 'cancel', id, '--comment', 'not needed']);
      expect(cancelled).toMatchObject({ code: 0, stdout: `cancelled task ${id} (PLAN): status cancelled\n` });
      const task = (
        await http.get<Task & { history: Array<{ action: string; reason: string }> }>(
          `/api/v1/tasks/${id}`,
          operator,
        )
      ).body;
      expect(task.status).toBe('cancelled');
      expect(task.history[task.history.length - 1]).toMatchObject({
        action: 'cancelled',
        reason: 'not needed',
      });

      const again = await cli(['tasks', 'cancel', id, '--json']);
      expect(again.code).toBe(1);
      expect(again.stdout).toBe('');
      expect(again.stderr).toMatch(new RegExp(`POST ${server.url}/api/v1/tasks/${id}/cancel: 409 `));
    },
    MANY_RUNS_MS,
  );

  it(
    'text an agent wrote reaches the terminal on one line, its control characters escaped',
    async () => {
      const { id, agent, phaseToken } = await claimNew('cli-agent-hostile', { max_attempts: 1 });
      const reason = 'ok\nfake-id  completed  PLAN\u001b]0;owned\u0007\u001b[2J';
      const failed = await http.post(
        `/api/v1/tasks/${id}/fail`,
        agent,
        { reason },
        { 'x-phase-token': phaseToken },
      );
      expect(failed.status).toBe(200);

      const shown = await cli(['tasks', 'show', id]);
      expect(shown.code).toBe(0);
      // Nothing below a space but the newlines of the layout itself.
      expect([...shown.stdout].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
      expect(shown.stdout).toContain('ok\\u000afake-id  completed  PLAN\\u001b]0;owned\\u0007\\u001b[2J');
      expect(shown.stdout).not.toMatch(/^fake-id/m);
      // JSON output is the answer as it came: escaped by JSON itself.
      expect(
        json<{ failure_reason: string }>((await cli(['tasks', 'show', id, '--json'])).stdout).failure_reason,
      ).toContain(reason);
    },
    MANY_RUNS_MS,
  );

  describe('the operator views: approvals, blocked tasks, requeue, agents', () => {
    it(
      'approvals list and the blocked_on of tasks list and show name what waits, with its digest',
      async () => {
        const { id } = await waitingForApproval('cli-agent-2');
        const request = json<Task>((await cli(['tasks', 'show', id, '--json'])).stdout).approval_requests[0];

        const table = await cli(['approvals', 'list']);
        expect(table.code).toBe(0);
        expect(table.stdout).toMatch(
          /^TASK +TITLE +WORKFLOW +PHASE +GATE +APPROVERS +REQUESTED +BY +DIGEST$/m,
        );
        expect(table.stdout).toMatch(
          new RegExp(
            `^${id} +plan of cli-agent-2 +agent_workflow \\S+ +PLAN +plan_approved +operator, admin +\\S+Z +cli-agent-2 +${request.digest}$`,
            'm',
          ),
        );
        expect(table.stdout).toMatch(/^\d+ pending approvals?$/m);

        const listed = json<{ approvals: Array<Record<string, unknown>> }>(
          (await cli(['approvals', 'list', '--json'])).stdout,
        );
        expect(listed.approvals.find((a) => a.task_id === id)).toMatchObject({
          gate_id: 'plan_approved',
          phase: 'PLAN',
          requested_by: 'cli-agent-2',
          digest: request.digest,
        });

        const tasks = await cli(['tasks', 'list', '--status', 'claimed']);
        expect(tasks.stdout.split('\n').find((l) => l.startsWith(id))).toMatch(/ approval plan_approved /);
        const ids = async (flag: string) =>
          json<{ tasks: Array<{ id: string; blocked_on: unknown }> }>(
            (await cli(['tasks', 'list', flag, '--limit', '500', '--json'])).stdout,
          ).tasks;
        const blocked = await ids('--blocked');
        expect(blocked.map((t) => t.id)).toContain(id);
        expect(blocked.every((t) => t.blocked_on !== null)).toBe(true);
        const unblocked = await ids('--no-blocked');
        expect(unblocked.map((t) => t.id)).not.toContain(id);
        expect(unblocked.every((t) => t.blocked_on === null)).toBe(true);
        const shown = await cli(['tasks', 'show', id]);
        expect(shown.stdout).toMatch(
          /^blocked on +approval of plan_approved by operator, admin \(PLAN → TDD, \S+Z\)$/m,
        );
        expect(shown.stdout).toMatch(
          /^Blockers \(PLAN → TDD, \S+\):\nCHECK +SEVERITY +GATE +MESSAGE\n.*\napproval_required +blocking +plan_approved /m,
        );

        // Decided: it leaves the list.
        expect((await cli(['tasks', 'approve', id, '--digest', request.digest])).code).toBe(0);
        const after = json<{ approvals: Array<{ task_id: string }> }>(
          (await cli(['approvals', 'list', '--json'])).stdout,
        );
        expect(after.approvals.map((a) => a.task_id)).not.toContain(id);
      },
      MANY_RUNS_MS,
    );

    it(
      'tasks requeue: a cancelled task back in the queue; a queued one is refused with exit 1',
      async () => {
        const { id } = await claimNew('cli-agent-3');
        expect((await http.post(`/api/v1/tasks/${id}/cancel`, operator, {})).status).toBe(200);

        const kept = await cli(['tasks', 'requeue', id, '--keep-attempts', '--json']);
        expect(kept.code).toBe(0);
        expect(json(kept.stdout)).toMatchObject({ id, status: 'queued', attempts: 1, holder: null });

        const refused = await cli(['tasks', 'requeue', id]);
        expect(refused).toMatchObject({ code: 1, stdout: '' });
        expect(refused.stderr).toContain(
          `POST ${server.url}/api/v1/tasks/${id}/requeue: 409 task_not_requeueable`,
        );

        expect((await http.post(`/api/v1/tasks/${id}/cancel`, operator, {})).status).toBe(200);
        const again = await cli(['tasks', 'requeue', id, '--reason', 'flaky runner']);
        expect(again).toMatchObject({
          code: 0,
          stdout: `requeued task ${id} (PLAN): status queued, attempts 0/3\n`,
        });
        const task = (
          await http.get<{ history: Array<{ action: string; reason: string | null }> }>(
            `/api/v1/tasks/${id}`,
            operator,
          )
        ).body;
        expect(task.history[task.history.length - 1]).toMatchObject({
          action: 'requeued',
          reason: 'flaky runner',
        });

        const missing = await cli(['tasks', 'requeue', 'no-such-task']);
        expect(missing.code).toBe(1);
        expect(missing.stderr).toContain(': 404 task_not_found');
      },
      MANY_RUNS_MS,
    );

    it(
      'agents list: the tasks an agent holds and its denials of the last hour',
      async () => {
        const { id, agent, phaseToken } = await claimNew('cli-agent-watched');
        const denied = await http.post<{ allowed: boolean }>('/api/v1/tools/authorize', agent, {
          task_id: id,
          phase_token: phaseToken,
          tool_name: 'bash',
          args: { command: 'rm -rf /' },
        });
        expect(denied.body.allowed).toBe(false);

        const table = await cli(['agents', 'list']);
        expect(table.code).toBe(0);
        expect(table.stdout).toMatch(/^AGENT +TASKS +LAST SEEN +DENIALS \(1H\) +LAST DENIAL$/m);
        expect(table.stdout).toMatch(
          new RegExp(`^cli-agent-watched +${id} PLAN claimed +\\S+Z +1 +\\S+Z bash: `, 'm'),
        );
        expect(table.stdout).toMatch(/^\d+ agents?; denials since \S+Z$/m);

        const answer = json<{ agents: Array<Record<string, unknown>>; denials_since: string }>(
          (await cli(['agents', 'list', '--json'])).stdout,
        );
        expect(answer.agents.find((a) => a.agent_id === 'cli-agent-watched')).toMatchObject({
          tasks: [expect.objectContaining({ task_id: id, phase: 'PLAN', status: 'claimed' })],
          recent_denials: 1,
          last_denial: expect.objectContaining({ task_id: id, tool_name: 'bash' }),
        });
      },
      MANY_RUNS_MS,
    );
  });

  describe('events tail', () => {
    it(
      '--since 0 --limit N prints the first N events kept, as JSON lines, oldest first',
      async () => {
        for (const n of [1, 2, 3]) await create(`event ${n}`);
        const run = await cli(['events', 'tail', '--since', '0', '--limit', '3', '--json']);
        expect(run).toMatchObject({ code: 0, stderr: '' });
        const events = run.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as StreamedEvent);
        const kept = (await http.get<{ events: StreamedEvent[] }>('/api/v1/events?limit=3', operator)).body
          .events;
        expect(events).toEqual(kept);

        const text = await cli(['events', 'tail', '--since', '0', '--limit', '1']);
        expect(text.stdout).toMatch(
          new RegExp(`^${kept[0].id}  \\S+Z  ${kept[0].type.replace('.', '\\.')} +`),
        );
      },
      MANY_RUNS_MS,
    );

    it(
      'resumes after the id stored in --cursor-file (--from-last): nothing missed, nothing twice',
      async () => {
        for (const n of [1, 2, 3, 4]) await create(`to resume ${n}`);
        const cursorFile = join(tempDir(), 'events.cursor');
        const all = (await http.get<{ events: StreamedEvent[] }>('/api/v1/events?limit=1000', operator)).body
          .events;
        const first = await cli([
          'events',
          'tail',
          '--since',
          '0',
          '--limit',
          '2',
          '--cursor-file',
          cursorFile,
          '--json',
        ]);
        expect(first.code).toBe(0);
        expect(readFileSync(cursorFile, 'utf8')).toBe(`${all[1].id}\n`);

        const next = await cli([
          'events',
          'tail',
          '--from-last',
          '--cursor-file',
          cursorFile,
          '--limit',
          '2',
          '--json',
        ]);
        expect(next.code).toBe(0);
        expect(
          next.stdout
            .trimEnd()
            .split('\n')
            .map((l) => (JSON.parse(l) as StreamedEvent).id),
        ).toEqual([all[2].id, all[3].id]);
        expect(readFileSync(cursorFile, 'utf8')).toBe(`${all[3].id}\n`);

        // A file that does not hold an id is bad usage, not a silent restart from the head.
        writeFileSync(cursorFile, 'garbage\n');
        const broken = await cli([
          'events',
          'tail',
          '--from-last',
          '--cursor-file',
          cursorFile,
          '--limit',
          '1',
        ]);
        expect(broken.code).toBe(2);
        expect(broken.stderr).toContain('does not hold an event id');
      },
      MANY_RUNS_MS,
    );

    it(
      'follows new events (filtered by --type and --task) after --since',
      async () => {
        // A page that is not full answers the head as last_id (fewer than 1000 events in this file).
        const head = (await http.get<{ last_id: number }>('/api/v1/events?limit=1000', operator)).body
          .last_id;
        const id = await create('cancelled while followed');
        const tail = runCli(
          [
            'events',
            'tail',
            '--since',
            String(head),
            '--type',
            'task.cancelled',
            '--task',
            id,
            '--limit',
            '1',
            '--json',
          ],
          { env: env(), timeoutMs: CLI_MS },
        );
        await create('a distraction');
        await http.post(`/api/v1/tasks/${id}/cancel`, operator, {});
        const run = await tail;
        expect(run.code).toBe(0);
        expect(
          run.stdout
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as StreamedEvent),
        ).toEqual([expect.objectContaining({ type: 'task.cancelled', task_id: id })]);
      },
      MANY_RUNS_MS,
    );

    it(
      'prints nothing new and ends once idle (--until-idle)',
      async () => {
        const idle = await cli(['events', 'tail', '--until-idle', '300']);
        expect(idle).toMatchObject({ code: 0, stdout: '', stderr: '' });
      },
      MANY_RUNS_MS,
    );

    it(
      'reconnects after the connection drops and goes on after the last event printed: nothing missed, nothing twice',
      async () => {
        const proxy = await startTcpProxy(Number(new URL(server.url).port));
        try {
          const head = (await http.get<{ last_id: number }>('/api/v1/events?limit=1000', operator)).body
            .last_id;
          const child = spawn(
            process.execPath,
            [
              CLI,
              'events',
              'tail',
              '--since',
              String(head),
              '--type',
              'task.created',
              '--limit',
              '2',
              '--json',
            ],
            {
              env: env({ ORCHESTRATOR_URL: `http://127.0.0.1:${proxy.port}` }),
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          );
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
          try {
            const before = await create('before the drop');
            const deadline = Date.now() + 30_000;
            while (!stdout.includes(before) && Date.now() < deadline)
              await new Promise((r) => setTimeout(r, 50));
            expect(stdout).toContain(before);
            await proxy.cut();
            const during = await create('while the connection is down');
            await new Promise((r) => setTimeout(r, 1000));
            await proxy.restore();
            expect(await exited).toBe(0);
            const ids = stdout
              .trimEnd()
              .split('\n')
              .map((l) => (JSON.parse(l) as StreamedEvent).task_id);
            expect(ids).toEqual([before, during]);
            expect(stderr).toMatch(/the server closed the event stream; reconnecting after event \d+/);
          } finally {
            if (child.exitCode === null) child.kill('SIGKILL');
          }
        } finally {
          await proxy.close();
        }
      },
      MANY_RUNS_MS,
    );

    it(
      'says stream.resync when the server never issued the id it is asked to resume after',
      async () => {
        const run = await cli([
          'events',
          'tail',
          '--since',
          '9000000000000000',
          '--until-idle',
          '500',
          '--json',
        ]);
        expect(run.code).toBe(0);
        const [resync] = run.stdout
          .trimEnd()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(resync).toMatchObject({
          type: 'stream.resync',
          reason: 'unknown_id',
          last_event_id: 9000000000000000,
        });
        expect(run.stderr).toContain('Cannot resume after 9000000000000000');
      },
      MANY_RUNS_MS,
    );

    it(
      'prints events as they happen on an open stream, and stops cleanly on SIGINT (exit 0)',
      async () => {
        const child = spawn(process.execPath, [CLI, 'events', 'tail', '--since', '0'], {
          env: env(),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        const printed = (text: string) =>
          new Promise<void>((resolve) => {
            const check = () => {
              if (!stdout.includes(text)) return;
              child.stdout.off('data', check);
              resolve();
            };
            child.stdout.on('data', check);
            check();
          });
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        try {
          // The replay has begun: the stream is open, so what follows comes live.
          await printed('task.created');
          const id = await create('created while tailing');
          await printed(id);
          expect(stdout).toMatch(
            new RegExp(
              `^\\d+  \\S+Z  task\\.created +${id}  cli-op  \\{"title":"created while tailing"`,
              'm',
            ),
          );
          child.kill('SIGINT');
          expect(await exited).toBe(0);
          expect(stderr).toBe('');
          expect(stdout + stderr).not.toContain(operator);
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      },
      MANY_RUNS_MS,
    );
  });

  describe('credentials, exit codes', () => {
    it(
      'a token the server refuses: exit 1, the status named, the token nowhere',
      async () => {
        const forged = accessToken('operator', 'cli-op', {
          secret: 'another-secret-0123456789abcdef0123456789',
        });
        for (const args of [
          ['tasks', 'list'],
          ['tasks', 'show', 'x', '--json'],
          ['events', 'tail', '--limit', '1'],
        ]) {
          const run = await runCli(args, { env: env({ ORCHESTRATOR_TOKEN: forged }), timeoutMs: CLI_MS });
          expect(run.code).toBe(1);
          expect(run.stdout).toBe('');
          expect(run.stderr).toMatch(/^orchestrator: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/\S+: 401 /);
          expect(run.stdout + run.stderr).not.toContain(forged);
          expect(run.stdout + run.stderr).not.toContain(forged.split('.')[2]);
        }
        // An agent's token does not reach the operator API.
        const agent = accessToken('agent', 'cli-agent-x');
        const asAgent = await runCli(['tasks', 'list'], {
          env: env({ ORCHESTRATOR_TOKEN: agent }),
          timeoutMs: CLI_MS,
        });
        expect(asAgent.code).toBe(1);
        expect(asAgent.stderr).toContain(': 403 ');
        expect(asAgent.stdout + asAgent.stderr).not.toContain(agent);
      },
      MANY_RUNS_MS,
    );

    it(
      'reads the token from --token-file instead of the environment',
      async () => {
        const file = join(tempDir(), 'operator.token');
        writeFileSync(file, `${operator}\n`, { mode: 0o600 });
        const run = await cli(['tasks', 'list', '--json', '--token-file', file], { ORCHESTRATOR_TOKEN: '' });
        expect(run.code).toBe(0);
        expect(json<{ tasks: unknown[] }>(run.stdout).tasks.length).toBeGreaterThan(0);

        const missing = await cli(['tasks', 'list', '--token-file', join(tempDir(), 'absent')]);
        expect(missing.code).toBe(2);
        expect(missing.stderr).toContain('cannot read --token-file');
      },
      MANY_RUNS_MS,
    );

    it(
      'no token, no URL, a bad URL or a bad option: exit 2 before any call',
      async () => {
        const noToken = await runCli(['tasks', 'list'], {
          env: env({ ORCHESTRATOR_TOKEN: '' }),
          timeoutMs: CLI_MS,
        });
        expect(noToken).toMatchObject({ code: 2, stdout: '' });
        expect(noToken.stderr).toContain('set ORCHESTRATOR_TOKEN or pass --token-file');

        const noUrl = await runCli(['tasks', 'list'], {
          env: baseEnv({ ORCHESTRATOR_TOKEN: operator }),
          timeoutMs: CLI_MS,
        });
        expect(noUrl.code).toBe(2);
        expect(noUrl.stderr).toContain('pass --url URL or set ORCHESTRATOR_URL');

        expect((await cli(['tasks', 'list', '--url', 'ftp://example.test'])).code).toBe(2);
        expect((await cli(['tasks', 'list', '--no-such-option'])).code).toBe(2);
        expect((await cli(['tasks', 'show'])).code).toBe(2);
        expect((await cli(['events', 'tail', '--limit', 'many'])).code).toBe(2);
        const fromLast = await cli(['events', 'tail', '--from-last']);
        expect(fromLast.code).toBe(2);
        expect(fromLast.stderr).toContain('--from-last needs --cursor-file');
        expect((await cli(['tasks', '--help'])).code).toBe(0);
      },
      MANY_RUNS_MS,
    );

    it(
      'an unreachable server: exit 2, the method and URL named, the token nowhere',
      async () => {
        const port = await closedPort();
        const url = `http://127.0.0.1:${port}`;
        for (const args of [
          ['tasks', 'list'],
          ['tasks', 'cancel', 'x'],
          ['events', 'tail', '--limit', '1'],
        ]) {
          const run = await cli(args, { ORCHESTRATOR_URL: url });
          expect(run.code).toBe(2);
          expect(run.stdout).toBe('');
          expect(run.stderr).toMatch(
            new RegExp(`^orchestrator: (GET|POST) ${url}/api/v1/\\S+: cannot reach the orchestrator: `),
          );
        }
      },
      MANY_RUNS_MS,
    );
  });
});

/** A loopback port nothing listens on: bound once, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
