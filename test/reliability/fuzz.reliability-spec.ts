/**
 * Bad input: fast-check generates thousands of requests to every route — wrong types, missing
 * fields, huge and deeply nested JSON, invalid UTF-8, bad percent-encoding, random headers and
 * tokens — and sends them raw (node:http). No answer may be a 5xx, the process must stay up, and a
 * refused request (non-2xx) must not change the stored tasks. FUZZ_RUNS (default 3000).
 */
import { request } from 'node:http';
import fc from 'fast-check';
import { accessToken, unsignedToken } from '../support/tokens.js';
import { disposeServer, startServer, type ServerProcess } from '../support/server-process.js';
import { tryFetch } from './support.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
// Narrow the fuzz to the routes whose template contains this text (to chase one failure).
const ONLY = process.env.FUZZ_ROUTE ?? '';

const ROUTES: ReadonlyArray<readonly [string, string]> = [
  ['GET', '/'],
  ['GET', '/health/live'],
  ['GET', '/health/ready'],
  ['GET', '/metrics'],
  ['POST', '/api/v1/auth/refresh'],
  ['POST', '/api/v1/auth/revoke'],
  ['POST', '/api/v1/auth/tokens'],
  ['POST', '/api/v1/tasks/claim'],
  ['POST', '/api/v1/tasks/transition'],
  ['POST', '/api/v1/tasks/{id}/complete'],
  ['POST', '/api/v1/tasks/{id}/heartbeat'],
  ['POST', '/api/v1/tasks/{id}/release'],
  ['POST', '/api/v1/tasks/{id}/fail'],
  ['GET', '/api/v1/state/snapshot'],
  ['POST', '/api/v1/tasks'],
  ['GET', '/api/v1/tasks'],
  ['GET', '/api/v1/tasks/{id}'],
  ['POST', '/api/v1/tasks/{id}/cancel'],
  ['POST', '/api/v1/tasks/{id}/gates/{gate}/approve'],
  ['POST', '/api/v1/tasks/{id}/gates/{gate}/reject'],
  ['GET', '/api/v1/events'],
  ['GET', '/api/v1/workflows'],
  ['GET', '/api/v1/workflows/{name}'],
  ['GET', '/api/v1/audit/query'],
  ['GET', '/api/v1/audit/recent'],
  ['GET', '/api/v1/audit/stats'],
  ['GET', '/api/v1/audit/verify'],
  ['POST', '/api/v1/tools/authorize'],
  ['POST', '/api/v1/tools/execute'],
];

const FIELDS = [
  'title',
  'description',
  'priority',
  'dependencies',
  'capabilities',
  'workflow',
  'max_attempts',
  'task_id',
  'current_phase',
  'target_phase',
  'phase_token',
  'artifacts',
  'tool_name',
  'args',
  'reason',
  'comment',
  'token',
  'agent_id',
  'role',
  'subject',
  '__proto__',
  'constructor',
];
const FORBIDDEN_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'expect',
  'upgrade',
]);

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  [fc.toStringMethod]: () => string;
}

function send(base: string, req: FuzzRequest): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    let r;
    try {
      r = request(
        {
          hostname,
          port,
          method: req.method,
          path: req.path,
          headers: req.headers,
          timeout: 20_000,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
          res.on('error', () => resolve({ status: -1, text: 'response error' }));
        },
      );
    } catch (error) {
      // The client refused to send it (e.g. a character Node does not allow in a path): not a server answer.
      return resolve({ status: -2, text: String(error) });
    }
    r.on('error', (error) => resolve({ status: -1, text: String(error) }));
    r.on('timeout', () => r.destroy(new Error('timeout')));
    if (req.body) r.end(req.body);
    else r.end();
  });
}

describe('bad input fuzz: no 5xx, no crash, no state change from a refused request', () => {
  let server: ServerProcess | undefined;
  afterAll(() => disposeServer(server));

  it(`${RUNS} generated requests`, async () => {
    server = await startServer({ env: { ORCHESTRATOR_TASKS_LEASE_SECONDS: '86400' } });
    const base = server.url;
    const operator = accessToken('operator', 'fuzz-operator');
    const agent = accessToken('agent', 'fuzz-agent');
    const admin = accessToken('admin', 'fuzz-admin');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await tryFetch(`${base}/api/v1/tasks`, {
        method: 'POST',
        token: operator,
        json: { title: `fuzz ${i}` },
      });
      ids.push(created.body!.id as string);
    }
    const claimed = await tryFetch(`${base}/api/v1/tasks/claim`, { method: 'POST', token: agent, json: {} });
    const phaseToken = claimed.body!.phase_token as string;

    // Its own token, which the fuzzer never sends: a fuzzed refresh or revoke may end the others.
    const observer = accessToken('operator', 'fuzz-observer');
    const fingerprint = async () => {
      const list = await tryFetch(`${base}/api/v1/tasks?limit=500`, { token: observer });
      expect(list.status).toBe(200);
      return JSON.stringify(
        (list.body!.tasks as Array<Record<string, unknown>>).map((t) => [
          t.id,
          t.status,
          t.phase,
          t.holder,
          t.attempts,
          t.updated_at,
        ]),
      );
    };

    const token = fc.oneof(
      fc.constant(operator),
      fc.constant(agent),
      fc.constant(admin),
      fc.constant(accessToken('agent', 'fuzz-agent', { expiresInSeconds: -10 })),
      fc.constant(accessToken('operator', 'x', { secret: 'wrong-secret-0123456789abcdef0123456789' })),
      fc.constant(unsignedToken({ sub: 'x', role: 'admin', typ: 'access' })),
      fc.constant(phaseToken),
      fc.string({ maxLength: 300 }),
      fc.stringMatching(/^[A-Za-z0-9_-]{1,80}\.[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{0,80}$/),
    );
    const idSegment = fc.oneof(
      fc.constantFrom(...ids),
      fc.constantFrom('PLAN', 'plan_approved', 'agent_workflow', '..', '%2e%2e', '%ZZ', '%00', '%C3%28'),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{0,300}$/),
    );
    const scalar = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(phaseToken, ...ids, 'PLAN', 'TDD', 'COMPLETE', 'read_files', 'bash', 'write_files'),
    );
    const fieldValue = fc.oneof(
      scalar,
      fc.array(scalar, { maxLength: 5 }),
      fc.dictionary(fc.string({ maxLength: 10 }), scalar, { maxKeys: 5 }),
      fc.jsonValue({ maxDepth: 4 }),
    );
    const nested = fc
      .tuple(fc.integer({ min: 50, max: 100_000 }), fc.constantFrom('[', '{"a":'))
      .map(([depth, open]) => {
        const close = open === '[' ? ']' : '}';
        return Buffer.from(open.repeat(depth) + (open === '[' ? '' : '1') + close.repeat(depth));
      });
    const body = fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 8 })
          .map((o) => Buffer.from(JSON.stringify(o))),
      },
      { weight: 2, arbitrary: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
      { weight: 1, arbitrary: nested },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 100_000, max: 3_000_000 })
          .map((n) => Buffer.from(JSON.stringify({ title: 'x'.repeat(n) }))),
      },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)) },
      {
        weight: 1,
        arbitrary: fc
          .uint8Array({ minLength: 1, maxLength: 8 })
          .map((bad) =>
            Buffer.concat([
              Buffer.from('{"title":"'),
              Buffer.from([0xc3, 0x28, 0xff, ...bad]),
              Buffer.from('"}'),
            ]),
          ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          Buffer.from(''),
          Buffer.from('{'),
          Buffer.from('null'),
          Buffer.from('"str"'),
          Buffer.from('[]'),
        ),
      },
    );
    const query = fc.oneof(
      fc.constant(''),
      fc
        .dictionary(
          fc.constantFrom(
            'limit',
            'cursor',
            'status',
            'phase',
            'agent_id',
            'task_id',
            'after',
            'type',
            'count',
            'since',
            'until',
            'success',
            'action',
            'x',
          ),
          fc.oneof(
            fc.stringMatching(/^[A-Za-z0-9%._-]{0,40}$/),
            fc.integer().map(String),
            fc.constantFrom('%ZZ', '-1', '1e9', 'true', '%00'),
          ),
          { maxKeys: 4 },
        )
        .map(
          (q) =>
            `?${Object.entries(q)
              .map(([k, v]) => `${k}=${v}`)
              .join('&')}`,
        ),
    );
    const extraHeaders = fc.dictionary(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((h) => !FORBIDDEN_HEADERS.has(h)),
      fc.stringMatching(/^[\x20-\x7e]{0,100}$/),
      { maxKeys: 4 },
    );
    const requestArb = fc
      .record({
        route: fc.constantFrom(...ROUTES.filter(([, template]) => template.includes(ONLY))),
        method: fc.option(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), {
          freq: 5,
        }),
        id: idSegment,
        gate: idSegment,
        query,
        auth: fc.option(
          fc.oneof(
            token.map((t) => `Bearer ${t}`),
            fc.string({ maxLength: 100 }),
          ),
          { freq: 8 },
        ),
        phaseHeader: fc.option(token, { freq: 2 }),
        idempotency: fc.option(fc.stringMatching(/^[\x21-\x7e]{0,250}$/), { freq: 2 }),
        contentType: fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          null,
          'multipart/form-data; boundary=x',
        ),
        body: fc.option(body, { freq: 6 }),
        extra: extraHeaders,
      })
      .map((g): FuzzRequest => {
        const [routeMethod, template] = g.route;
        const method = g.method ?? routeMethod;
        const path =
          template.replace('{id}', g.id).replace('{gate}', g.gate).replace('{name}', g.id) + g.query;
        const headers: Record<string, string> = { ...g.extra };
        if (g.auth !== null) headers.authorization = g.auth;
        if (g.phaseHeader !== null) headers['x-phase-token'] = g.phaseHeader;
        if (g.idempotency !== null) headers['idempotency-key'] = g.idempotency;
        const sendsBody = g.body !== null && method !== 'GET' && method !== 'HEAD';
        if (sendsBody && g.contentType) headers['content-type'] = g.contentType;
        // Node sends DELETE and OPTIONS bodies with neither a length nor chunking: say how long it is.
        if (sendsBody) headers['content-length'] = String(g.body!.length);
        const sent = sendsBody ? g.body : null;
        // fast-check prints a failing request with this: a multi-megabyte body would drown the report.
        const describe = () =>
          `${method} ${path} headers=${JSON.stringify(headers)} body(${sent?.length ?? 0} B)=` +
          JSON.stringify(sent?.subarray(0, 200).toString() ?? null);
        return { method, path, headers, body: sent, [fc.toStringMethod]: describe };
      });

    let state = await fingerprint();
    const statuses = new Map<number, number>();
    const anomalies: string[] = [];
    await fc.assert(
      fc.asyncProperty(requestArb, async (req) => {
        const res = await send(base, req);
        if (res.status === -2) return; // never sent
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(server!.child.exitCode).toBeNull();
        // Not answered cleanly (reset, or bytes the client could not parse): a failure, reported at
        // the end with the rest. A body over the limit may be cut off mid-upload: that one is fine.
        if (res.status === -1) {
          if (!(req.body && req.body.length > 1024 * 1024))
            anomalies.push(`${req.method} ${req.path} (${req.body?.length ?? 0} B body): ${res.text}`);
          return;
        }
        if (res.status >= 500) {
          const errors = server!.logs.filter((l) => l.level === 'error' || l.level === 'fatal').slice(-3);
          throw new Error(
            `${req.method} ${req.path} → ${res.status} ${res.text.slice(0, 300)}; ` +
              `body ${req.body?.length ?? 0} B: ${req.body?.subarray(0, 200).toString() ?? ''}; ` +
              `server errors ${JSON.stringify(errors)}`,
          );
        }
        const now = await fingerprint();
        if (res.status >= 200 && res.status < 300) state = now;
        else expect(now).toBe(state);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(server.child.exitCode).toBeNull();
    expect((await tryFetch(`${base}/health/ready`)).status).toBe(200);
    expect(anomalies).toEqual([]);
    console.log(
      `fuzz: ${RUNS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ` +
        `${anomalies.length} not answered cleanly (bodies over the limit not counted)` +
        anomalies
          .slice(0, 5)
          .map((a) => `\n  ${a}`)
          .join(''),
    );
  });
});
