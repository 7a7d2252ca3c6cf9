import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { api } from './support/api.js';
import { accessToken } from './support/tokens.js';

interface OpenApiOperation {
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
}

describe('service endpoints of a running server', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => disposeServer(server));

  it('GET /health answers 200 with every readiness indicator up', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; info: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.info)).toEqual(expect.arrayContaining(['config', 'state_dir', 'disk']));
  });

  it('GET /health/live and /health/ready answer 200', async () => {
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
  });

  it('GET / reports service, version, instance, pid, start time, uptime, config file and backend', async () => {
    const body = (await (await fetch(`${server.url}/`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      service: 'workflow-orchestrator',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      pid: server.child.pid,
      config_file: null,
      state_backend: 'file',
    });
    expect(typeof body.instance_id).toBe('string');
    expect(Date.parse(body.started_at as string)).not.toBeNaN();
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0);
  });

  it('/metrics counts a request under its route template and status, not the raw URL', async () => {
    await fetch(`${server.url}/health/live`);
    await fetch(`${server.url}/no/such/route/12345`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health\/live",status="200"\} [1-9]/);
    expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]/);
    expect(text).not.toContain('12345');
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('/docs-json is an OpenAPI 3 document listing the real routes, with bearer auth declared', async () => {
    const doc = (await (await fetch(`${server.url}/docs-json`)).json()) as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Workflow Orchestrator API');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/', '/health', '/health/live', '/health/ready', '/metrics']),
    );
    expect(Object.values(doc.components.securitySchemes).map((s) => s.scheme)).toContain('bearer');
    const publicPaths = new Set(['/', '/health', '/health/live', '/health/ready', '/metrics']);
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations as Record<string, OpenApiOperation>)) {
        const ok = op.responses['200'] ?? op.responses['201'];
        expect(`${method} ${path}: ${ok?.content ? 'documented' : 'undocumented'}`).toBe(
          `${method} ${path}: documented`,
        );
        const secured = (op.security ?? []).length > 0;
        expect(`${method} ${path}: ${secured ? 'bearer' : 'public'}`).toBe(
          `${method} ${path}: ${publicPaths.has(path) ? 'public' : 'bearer'}`,
        );
      }
    }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/tasks/claim',
        '/api/v1/tasks/transition',
        '/api/v1/tools/authorize',
        '/api/v1/audit/verify',
      ]),
    );
    const ui = await fetch(`${server.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('malformed JSON gets 400 with the error body', async () => {
    const res = await fetch(`${server.url}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'invalid_json',
      message: expect.stringContaining('JSON'),
      detail: expect.stringContaining('JSON'),
    });
  });

  it.each([
    ['no Content-Type (fetch sends text/plain)', undefined],
    ['text/plain', 'text/plain'],
    ['a form', 'application/x-www-form-urlencoded'],
  ])('a JSON body sent as %s gets 415 unsupported_media_type and changes nothing', async (_label, type) => {
    const operator = accessToken('operator', 'media-op');
    const before = await fetch(`${server.url}/api/v1/tasks?limit=200`, {
      headers: { authorization: `Bearer ${operator}` },
    }).then((r) => r.json() as Promise<{ tasks: unknown[] }>);
    const res = await fetch(`${server.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, ...(type ? { 'content-type': type } : {}) },
      body: '{"title":"x"}',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      code: 'unsupported_media_type',
      message: 'the request body must be JSON, sent with Content-Type: application/json',
      detail: 'the request body must be JSON, sent with Content-Type: application/json',
    });
    const after = await fetch(`${server.url}/api/v1/tasks?limit=200`, {
      headers: { authorization: `Bearer ${operator}` },
    }).then((r) => r.json() as Promise<{ tasks: unknown[] }>);
    expect(after.tasks).toHaveLength(before.tasks.length);
  });

  it('a NUL character in the body or the URL gets 400 invalid_characters, on the file backend too', async () => {
    const operator = accessToken('operator', 'op');
    const before = await api(server.url).get<{ total: number }>('/api/v1/tasks', operator);
    const body = await api(server.url).post<{ code: string }>('/api/v1/tasks', operator, {
      title: 'a\u0000b',
    });
    expect([body.status, body.body.code]).toEqual([400, 'invalid_characters']);
    const url = await api(server.url).get<{ code: string }>('/api/v1/tasks?status=%00', operator);
    expect([url.status, url.body.code]).toEqual([400, 'invalid_characters']);
    expect((await api(server.url).get<{ total: number }>('/api/v1/tasks', operator)).body.total).toBe(
      before.body.total,
    );
  });

  it('a body nested deeper than 64 levels gets 400 json_too_deep, not a stack overflow', async () => {
    const mint = (body: string) =>
      fetch(`${server.url}/api/v1/auth/tokens`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${accessToken('admin', 'root')}`,
        },
        body,
      });
    const deep = await mint(
      `{"role":"agent","subject":"a","x":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`,
    );
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({
      code: 'json_too_deep',
      message: expect.stringContaining('64'),
    });
    // At the limit the body is parsed and judged by validation instead.
    const atLimit = await mint(`{"role":"agent","subject":"a","x":${'['.repeat(63)}${']'.repeat(63)}}`);
    expect(atLimit.status).toBe(400);
    expect(await atLimit.json()).toMatchObject({ code: 'validation_failed' });
    // Fastify's prototype-poisoning guard still applies.
    const poisoned = await mint('{"role":"agent","subject":"a","__proto__":{"admin":true}}');
    expect(poisoned.status).toBe(400);
    expect(await poisoned.json()).toMatchObject({ code: 'invalid_json' });
  });

  it('an undecodable URL gets 400 invalid_url with the error body', async () => {
    const { hostname, port } = new URL(server.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write('GET /api/v1/tasks/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(raw.split('\r\n\r\n')[1])).toMatchObject({ statusCode: 400, code: 'invalid_url' });
  });

  it('an unknown route gets 404 route_not_found', async () => {
    const res = await fetch(`${server.url}/api/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ statusCode: 404, code: 'route_not_found' });
  });

  it('a wrong content type or a body over the limit gets a clean 4xx, never 500', async () => {
    // No POST route exists in the foundation: content-type and size are checked on the catch-all.
    const wrongType = await fetch(`${server.url}/health`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b',
    });
    expect(wrongType.status).toBe(404);
    expect(await wrongType.json()).toMatchObject({ statusCode: 404, code: 'route_not_found' });
    const huge = await fetch(`${server.url}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(1100 * 1024) }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
  });

  it('logs one line per request with method, route, status, request id and duration', async () => {
    await fetch(`${server.url}/health/ready`, { headers: { 'x-request-id': 'req-abc-123' } });
    await new Promise((r) => setTimeout(r, 100));
    const line = server.logs.find((l) => l.request_id === 'req-abc-123' && l.msg === 'request completed');
    expect(line).toMatchObject({ method: 'GET', route: '/health/ready', status: 200 });
    expect(typeof line?.duration).toBe('number');
    expect(server.logs.filter((l) => l.request_id === 'req-abc-123')).toHaveLength(1);
  });

  it('echoes the request id and never logs Authorization headers or phase_token values', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC0wMDEifQ.c2lnbmF0dXJlLXZhbHVl';
    const res = await fetch(`${server.url}/health/live?phase_token=${jwt}&x=1`, {
      headers: { authorization: `Bearer ${jwt}`, 'x-request-id': 'req-secret-1' },
    });
    expect(res.headers.get('x-request-id')).toBe('req-secret-1');
    await new Promise((r) => setTimeout(r, 100));
    const all = JSON.stringify(server.logs);
    expect(all).not.toContain(jwt);
    const line = server.logs.find((l) => l.request_id === 'req-secret-1');
    expect(line?.url).toBe('/health/live?phase_token=[redacted]&x=1');
  });
});

describe('metrics exposition format', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => disposeServer(server));

  it('passes `promtool check metrics` after traffic on several routes', async () => {
    for (const path of ['/', '/health', '/health/live', '/nope', '/docs-json'])
      await fetch(`${server.url}${path}`);
    const scrape = await (await fetch(`${server.url}/metrics`)).text();
    const result = spawnSync('promtool', ['check', 'metrics'], { input: scrape, encoding: 'utf8' });
    expect(result.error).toBeUndefined(); // promtool comes from the Debian package `prometheus`
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('readiness when the state directory is lost', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => disposeServer(server));

  it('/health/ready and /health answer 503 naming state_dir while /health/live stays 200', async () => {
    const stateDir = join(server.dir, '.orchestrator');
    rmSync(stateDir, { recursive: true, force: true });
    writeFileSync(stateDir, 'not a directory');
    const ready = await fetch(`${server.url}/health/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; error: Record<string, { status: string }> };
    expect(body.status).toBe('error');
    expect(Object.keys(body.error)).toEqual(['state_dir']);
    expect((await fetch(`${server.url}/health`)).status).toBe(503);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });
});
