/** Tokens and single requests against a bench server. */
/* global performance, fetch */
import { createHash, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { SECRET } from './server.mjs';

/** An access token for `sub` as the server signs them. */
export function token(role, sub) {
  const now = Math.floor(Date.now() / 1000);
  const kid = createHash('sha256').update(SECRET).digest('hex').slice(0, 16);
  return jwt.sign(
    {
      typ: 'access',
      iss: 'workflow-orchestrator',
      sub,
      role,
      iat: now,
      exp: now + 7200,
      jti: randomUUID(),
      orig_iat: now,
    },
    SECRET,
    { algorithm: 'HS256', keyid: kid },
  );
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
