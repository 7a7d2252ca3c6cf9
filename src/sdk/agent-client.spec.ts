import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentClient, type AgentClientOptions } from './agent-client.js';
import { printableUrl } from './http.transport.js';
import {
  AuthError,
  ConflictError,
  NotFoundError,
  OrchestratorError,
  OrchestratorUnavailableError,
  StalePhaseTokenError,
  ToolForbiddenError,
  TransitionBlockedError,
} from './errors.js';

/** One request the fake server saw. */
interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | 'drop';
type Handler = (request: SeenRequest, index: number) => Reply;

/** A real HTTP server on a loopback port whose answers each test scripts (no fetch mocks). */
class FakeServer {
  readonly requests: SeenRequest[] = [];
  handler: Handler = () => ({ status: 404, body: { code: 'route_not_found' } });
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** Requests to a path (without query). */
  to(path: string): SeenRequest[] {
    return this.requests.filter((r) => r.url.split('?')[0] === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: raw ? (JSON.parse(raw) as unknown) : undefined,
      };
      this.requests.push(seen);
      const reply = this.handler(seen, this.requests.length - 1);
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const lease = (ms: number) => new Date(Date.now() + ms).toISOString();
const claimBody = (leaseMs = 60_000) => ({
  task: { id: 'task-1', title: 'T', status: 'claimed', phase: 'PLAN' },
  phase_token: 'pt-1',
  phase: 'PLAN',
  allowed_tools: ['read_files'],
  lease_expires_at: lease(leaseMs),
});

describe('AgentClient', () => {
  const server = new FakeServer();
  let dir: string;
  const clients: AgentClient[] = [];

  const client = (options: Partial<AgentClientOptions> = {}) => {
    const c = new AgentClient({
      baseUrl: server.url,
      agentId: 'agent-1',
      accessToken: 'access-1',
      retry: { retries: 3, baseDelayMs: 5, maxDelayMs: 2000 },
      heartbeat: false,
      ...options,
    });
    clients.push(c);
    return c;
  };

  /** A client that holds task-1 in PLAN; later requests go to `then`. */
  const claimed = async (then: Handler, options: Partial<AgentClientOptions> = {}) => {
    server.handler = (req, i) =>
      req.url === '/api/v1/tasks/claim' ? { status: 200, body: claimBody() } : then(req, i);
    const c = client(options);
    await c.claimTask({ capabilities: ['ts'] });
    return c;
  };

  beforeAll(() => server.start());
  afterAll(() => server.stop());
  beforeEach(() => {
    server.requests.length = 0;
    dir = mkdtempSync(join(tmpdir(), 'sdk-'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims with the agent id and bearer token, and returns null on 204', async () => {
    server.handler = () => ({ status: 204 });
    const c = client();
    await expect(c.claimTask({ capabilities: ['ts'] })).resolves.toBeNull();
    const [req] = server.requests;
    expect(req.headers.authorization).toBe('Bearer access-1');
    expect(req.body).toEqual({ agent_id: 'agent-1', capabilities: ['ts'] });
    expect(c.taskId).toBeUndefined();
  });

  it('replaces the phase token and phase on every allowed transition and writes the token file 0600', async () => {
    const tokenFile = join(dir, 'token.json');
    let n = 1;
    const c = await claimed(
      (req) => {
        n++;
        const body = req.body as { target_phase: string };
        return {
          status: 200,
          body: {
            allowed: true,
            new_token: `pt-${n}`,
            phase: body.target_phase,
            allowed_tools: [],
            warnings: [],
            mode: 'strict',
          },
        };
      },
      { tokenFile },
    );
    expect(JSON.parse(readFileSync(tokenFile, 'utf8'))).toEqual({
      task_id: 'task-1',
      phase: 'PLAN',
      phase_token: 'pt-1',
      base_url: server.url,
    });
    await c.requestTransition('TDD', { a: 1 });
    await c.requestTransition('IMPL', { b: 2 });
    const transitions = server.to('/api/v1/tasks/transition');
    expect(transitions.map((r) => r.body)).toEqual([
      {
        task_id: 'task-1',
        current_phase: 'PLAN',
        target_phase: 'TDD',
        phase_token: 'pt-1',
        artifacts: { a: 1 },
      },
      {
        task_id: 'task-1',
        current_phase: 'TDD',
        target_phase: 'IMPL',
        phase_token: 'pt-2',
        artifacts: { b: 2 },
      },
    ]);
    expect(transitions[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(transitions[0].headers['idempotency-key']).not.toBe(transitions[1].headers['idempotency-key']);
    expect(c.phase).toBe('IMPL');
    expect(c.phaseToken).toBe('pt-3');
    const file = JSON.parse(readFileSync(tokenFile, 'utf8')) as Record<string, string>;
    expect(file).toMatchObject({ phase: 'IMPL', phase_token: 'pt-3' });
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  });

  it('throws TransitionBlockedError with blockers and warnings and keeps the token', async () => {
    const c = await claimed(() => ({
      status: 200,
      body: { allowed: false, blockers: ['plan_document missing'], warnings: ['w'], mode: 'strict' },
    }));
    const error = await c.requestTransition('TDD', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransitionBlockedError);
    expect(error).toMatchObject({
      code: 'transition_blocked',
      blockers: ['plan_document missing'],
      warnings: ['w'],
    });
    expect(c.phaseToken).toBe('pt-1');
  });

  it('reads the structured blockers from blocker_details and words the error from the blocker lines', async () => {
    const finding = { check: 'artifact_required', severity: 'blocking', message: 'plan_document missing' };
    const c = await claimed(() => ({
      status: 200,
      body: {
        allowed: false,
        new_token: null,
        blockers: ['plan_document missing'],
        blocker_details: [finding],
        warnings: [],
        mode: 'strict',
      },
    }));
    const error = (await c.requestTransition('TDD', {}).catch((e: unknown) => e)) as TransitionBlockedError;
    expect(error).toBeInstanceOf(TransitionBlockedError);
    expect(error.blockers).toEqual([finding]);
    expect(error.message).toMatch(/: plan_document missing$/);
  });

  it('completes, then holds no task and removes the token file', async () => {
    const tokenFile = join(dir, 'token.json');
    const c = await claimed(
      () => ({ status: 200, body: { completed: true, task: { id: 'task-1', status: 'completed' } } }),
      {
        tokenFile,
      },
    );
    await c.complete({ completion_summary: {} });
    expect(server.to('/api/v1/tasks/task-1/complete')[0].body).toEqual({
      phase_token: 'pt-1',
      artifacts: { completion_summary: {} },
    });
    expect(c.taskId).toBeUndefined();
    expect(existsSync(tokenFile)).toBe(false);
  });

  it('creates a missing token-file directory 0700 and writes the file 0600', async () => {
    const tokenFile = join(dir, 'state', 'agent', 'phase-token.json');
    await claimed(() => ({ status: 404 }), { tokenFile });
    expect(JSON.parse(readFileSync(tokenFile, 'utf8'))).toMatchObject({
      task_id: 'task-1',
      phase_token: 'pt-1',
    });
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'state', 'agent')).mode & 0o777).toBe(0o700);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  });

  it('resumeTask: claims when a token file is left over and surfaces resumed, does nothing without one', async () => {
    const tokenFile = join(dir, 'phase-token.json');
    server.handler = () => ({
      status: 200,
      body: { ...claimBody(), phase_token: 'pt-fresh', resumed: true },
    });
    await expect(client({ tokenFile }).resumeTask()).resolves.toBeNull();
    expect(server.requests).toHaveLength(0);
    writeFileSync(tokenFile, JSON.stringify({ task_id: 'task-1', phase: 'PLAN', phase_token: 'pt-old' }));
    const c = client({ tokenFile });
    await expect(c.resumeTask({ capabilities: ['ts'] })).resolves.toMatchObject({
      resumed: true,
      phase_token: 'pt-fresh',
    });
    expect(server.to('/api/v1/tasks/claim')[0].body).toEqual({ agent_id: 'agent-1', capabilities: ['ts'] });
    expect(c.phaseToken).toBe('pt-fresh');
    expect(JSON.parse(readFileSync(tokenFile, 'utf8'))).toMatchObject({ phase_token: 'pt-fresh' });
  });

  it('reports a claim of a new task as resumed: false, and removes a dead token file on 204', async () => {
    const tokenFile = join(dir, 'phase-token.json');
    server.handler = () => ({ status: 200, body: claimBody() });
    await expect(client({ tokenFile }).claimTask()).resolves.toMatchObject({ resumed: false });
    server.handler = () => ({ status: 204 });
    await expect(client({ tokenFile }).resumeTask()).resolves.toBeNull();
    expect(existsSync(tokenFile)).toBe(false);
  });

  it('a network error names the method and URL it tried, never a token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = client({ baseUrl: `http://127.0.0.1:${port}/`, accessToken: 'secret-access-token' });
    const error = (await c.claimTask().catch((e: unknown) => e)) as OrchestratorUnavailableError;
    expect(error).toBeInstanceOf(OrchestratorUnavailableError);
    expect(error.code).toBe('network_error');
    expect(error.message).toContain(`POST http://127.0.0.1:${port}/api/v1/tasks/claim`);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('secret-access-token');
  });

  it('an HTTP error names the method and URL it tried', async () => {
    server.handler = () => ({ status: 409, body: { code: 'not_holder', message: 'held by another agent' } });
    const error = (await client()
      .claimTask()
      .catch((e: unknown) => e)) as ConflictError;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(
      `POST ${server.url}/api/v1/tasks/claim: 409 not_holder: held by another agent`,
    );
  });

  it('prints URLs without credentials or query string', () => {
    expect(printableUrl('http://user:pw@127.0.0.1:8000/api/v1/state/snapshot?phase_token=pt')).toBe(
      'http://127.0.0.1:8000/api/v1/state/snapshot',
    );
    expect(printableUrl('not a url?phase_token=pt')).toBe('not a url');
  });

  it.each([
    [403, 'tool_forbidden', ToolForbiddenError],
    [403, 'path_outside_workspace', ToolForbiddenError],
    [403, 'stale_phase_token', StalePhaseTokenError],
    [401, 'invalid_token', AuthError],
    [403, 'insufficient_role', AuthError],
    [404, 'task_not_found', NotFoundError],
    [409, 'not_holder', ConflictError],
    [503, 'state_closed', OrchestratorUnavailableError],
    [400, 'invalid_tool_args', OrchestratorError],
  ])('maps %i %s to its typed error carrying code and status', async (status, code, type) => {
    const c = await claimed(() => ({ status, body: { statusCode: status, code, message: `m ${code}` } }));
    const error = await c.useTool('read_files', { path: 'a' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(OrchestratorError);
    expect(error).toMatchObject({
      code,
      status,
      // The message names what was tried: the method and URL, then the server's words.
      message: `POST ${server.url}/api/v1/tools/execute: ${status} ${code}: m ${code}`,
    });
  });

  it('maps the helpers to the documented tool arguments', async () => {
    const c = await claimed(() => ({
      status: 200,
      body: { result: {}, logged: true, duration_ms: 1, phase: 'PLAN' },
    }));
    await c.readFile('a.ts');
    await c.writeFile('b.ts', 'x');
    await c.editFile('c.ts', 'old', 'new');
    await c.grep('TODO', { path: 'src' });
    await c.glob('**/*.ts');
    await c.runCommand('npm test');
    expect(
      server.to('/api/v1/tools/execute').map((r) => (r.body as { tool_name: string; args: unknown }).args),
    ).toEqual([
      { path: 'a.ts' },
      { path: 'b.ts', content: 'x' },
      { path: 'c.ts', old_string: 'old', new_string: 'new', replace_all: false },
      { path: 'src', pattern: 'TODO' },
      { pattern: '**/*.ts' },
      { command: 'npm test' },
    ]);
  });

  it('sends the phase token in X-Phase-Token for the snapshot and retries a GET on 503', async () => {
    const c = await claimed((_req, i) =>
      i < 3 ? { status: 503, body: { code: 'unavailable' } } : { status: 200, body: { task_id: 'task-1' } },
    );
    await expect(c.getStateSnapshot()).resolves.toEqual({ task_id: 'task-1' });
    const gets = server.to('/api/v1/state/snapshot');
    expect(gets).toHaveLength(3);
    expect(gets[0].headers['x-phase-token']).toBe('pt-1');
  });

  it('retries heartbeat after a dropped connection and a 502', async () => {
    const c = await claimed((_req, i) =>
      i === 1 ? 'drop' : i === 2 ? { status: 502 } : { status: 200, body: { lease_expires_at: lease(1000) } },
    );
    await c.heartbeat();
    expect(server.to('/api/v1/tasks/task-1/heartbeat')).toHaveLength(3);
  });

  it('gives up after the configured retries with OrchestratorUnavailableError', async () => {
    const c = await claimed(() => ({ status: 504 }));
    await expect(c.heartbeat()).rejects.toBeInstanceOf(OrchestratorUnavailableError);
    expect(server.to('/api/v1/tasks/task-1/heartbeat')).toHaveLength(4);
  });

  it('never retries claim, complete, execute, release or fail', async () => {
    server.handler = () => ({ status: 503, body: { code: 'unavailable' } });
    await expect(client().claimTask()).rejects.toBeInstanceOf(OrchestratorUnavailableError);
    expect(server.requests).toHaveLength(1);
    const c = await claimed(() => ({ status: 503, body: { code: 'unavailable' } }));
    server.requests.length = 0;
    await expect(c.complete({})).rejects.toBeInstanceOf(OrchestratorUnavailableError);
    await expect(c.useTool('bash', { command: 'ls' })).rejects.toBeInstanceOf(OrchestratorUnavailableError);
    await expect(c.release()).rejects.toBeInstanceOf(OrchestratorUnavailableError);
    await expect(c.fail('x')).rejects.toBeInstanceOf(OrchestratorUnavailableError);
    expect(server.requests).toHaveLength(4);
  });

  it('retries a transition with the same Idempotency-Key on every attempt', async () => {
    const c = await claimed((_req, i) =>
      i < 3
        ? { status: 503 }
        : {
            status: 200,
            body: {
              allowed: true,
              new_token: 'pt-2',
              phase: 'TDD',
              allowed_tools: [],
              warnings: [],
              mode: 'strict',
            },
          },
    );
    await c.requestTransition('TDD', {}, { idempotencyKey: 'key-1' });
    const keys = server.to('/api/v1/tasks/transition').map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual(['key-1', 'key-1', 'key-1']);
  });

  it('does not retry a 4xx', async () => {
    const c = await claimed(() => ({ status: 409, body: { code: 'phase_mismatch' } }));
    await expect(c.requestTransition('TDD', {})).rejects.toBeInstanceOf(ConflictError);
    expect(server.to('/api/v1/tasks/transition')).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    const c = await claimed((_req, i) =>
      i === 1
        ? { status: 429, body: { code: 'rate_limited' }, headers: { 'retry-after': '1' } }
        : {
            status: 200,
            body: {
              allowed: true,
              reason: 'ok',
              phase: 'PLAN',
              tool: 'read_files',
              mode: 'strict',
              would_deny: false,
            },
          },
    );
    const started = Date.now();
    await expect(c.authorizeTool('read_files', { path: 'a' })).resolves.toMatchObject({ allowed: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.to('/api/v1/tools/authorize')).toHaveLength(2);
  });

  it('heartbeats in the background at a third of the lease and stops on close', async () => {
    server.handler = (req) =>
      req.url === '/api/v1/tasks/claim'
        ? { status: 200, body: claimBody(300) }
        : { status: 200, body: { lease_expires_at: lease(300) } };
    const c = client({ heartbeat: true });
    await c.claimTask();
    expect(c.heartbeatIntervalMs).toBeGreaterThanOrEqual(80);
    expect(c.heartbeatIntervalMs).toBeLessThanOrEqual(100);
    await sleep(350);
    const beats = server.to('/api/v1/tasks/task-1/heartbeat').length;
    expect(beats).toBeGreaterThanOrEqual(2);
    expect(server.to('/api/v1/tasks/task-1/heartbeat')[0].headers['x-phase-token']).toBe('pt-1');
    await c.close();
    expect(c.heartbeatIntervalMs).toBeUndefined();
    await sleep(250);
    expect(server.to('/api/v1/tasks/task-1/heartbeat').length).toBe(beats);
  });

  it('stops the background heartbeat when the lease is lost', async () => {
    const errors: unknown[] = [];
    server.handler = (req) =>
      req.url === '/api/v1/tasks/claim'
        ? { status: 200, body: claimBody() }
        : { status: 409, body: { code: 'lease_expired' } };
    const c = client({ heartbeat: { intervalMs: 60, onError: (e) => errors.push(e) } });
    await c.claimTask();
    await sleep(250);
    expect(server.to('/api/v1/tasks/task-1/heartbeat')).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConflictError);
    expect(c.heartbeatIntervalMs).toBeUndefined();
  });

  it('refuses task calls before a claim', async () => {
    await expect(client().heartbeat()).rejects.toMatchObject({ code: 'no_task_held' });
  });

  it('closes via Symbol.asyncDispose', async () => {
    server.handler = () => ({ status: 200, body: claimBody() });
    const c = client({ heartbeat: true });
    await c.claimTask();
    expect(c.heartbeatIntervalMs).toBeGreaterThan(0);
    await c[Symbol.asyncDispose]();
    expect(c.heartbeatIntervalMs).toBeUndefined();
  });
});
