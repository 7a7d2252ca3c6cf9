/** Tokens and single requests against a bench server. */
/* global performance, fetch, Buffer */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import { SECRET } from './server.mjs';

const KID = createHash('sha256').update(SECRET).digest('hex').slice(0, 16);
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: KID })).toString('base64url');

/**
 * An access token for `sub` as the server signs them: HS256 over the same claims, signed here
 * with node:crypto (jsonwebtoken took ~350 µs a token on this host, more than a claim costs the
 * server, and the claims scenario mints one per claim).
 */
export function token(role, sub) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    typ: 'access',
    iss: 'workflow-orchestrator',
    sub,
    role,
    iat: now,
    exp: now + 7200,
    jti: randomUUID(),
    orig_iat: now,
  };
  const signed = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`;
}

/** One request; resolves with status, parsed body and the wall time in ms. */
export async function call(base, method, path, bearer, body, headers = {}) {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, ms: performance.now() - started };
}

export async function claim(base, agent) {
  const res = await call(base, 'POST', '/api/v1/tasks/claim', agent, {});
  if (res.status !== 200) throw new Error(`claim answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * POST with node:http on keep-alive sockets: the same answer as `call`, at a fraction of the
 * load generator's CPU (fetch costs more per request than the server's claim), so the claims
 * scenario measures the server rather than its client.
 */
export function post(base, path, bearer, body) {
  const started = performance.now();
  const payload = JSON.stringify(body);
  return new Promise((resolveAnswer, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${bearer}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolveAnswer({
            status: res.statusCode,
            body: text ? JSON.parse(text) : null,
            ms: performance.now() - started,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
