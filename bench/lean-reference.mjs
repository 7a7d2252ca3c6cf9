/**
 * The lean reference (issue 19): the least a server can do to answer `POST /api/v1/tools/authorize`
 * honestly, in its own process, as the yardstick for the real one. Per request: Fastify 5 parses the
 * JSON body; jsonwebtoken verifies the `Authorization: Bearer` access token (HS256, the bench's
 * secret, issuer and expiry checked — the same token the real server gets); one policy lookup (the
 * task's phase, then that phase's allowed and forbidden tools); one audit line (JSON) appended to a
 * file by a group commit — every line submitted in one turn of the event loop or while a write is in
 * flight goes out in one `write` + one `fdatasync` — and the answer waits for its line to be durable.
 * No logging, metrics, validation framework, hash chain or events: those are what the real server
 * adds on top.
 *
 *   node bench/lean-reference.mjs <secret> <audit-dir> <fsync: true|false>
 *
 * Prints `{"port":N}` once listening on 127.0.0.1.
 */
/* global setImmediate, Buffer */
import { createSecretKey } from 'node:crypto';
import { openSync, write, fdatasync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import jwt from 'jsonwebtoken';

const [secret, dir, fsyncArg] = process.argv.slice(2);
const fsync = fsyncArg !== 'false';
// A KeyObject, as the server's signing-keys.ts holds it: jsonwebtoken turns a string secret into
// one on every call, which costs ~1 ms.
const key = createSecretKey(Buffer.from(secret, 'utf8'));
const fd = openSync(join(dir, 'lean-audit.jsonl'), 'a');

/** Phase policies, as the default workflow has them for the phases the bench uses. */
const POLICIES = new Map([
  [
    'PLAN',
    { allowed: new Set(['read_files', 'search_files', 'list_files']), forbidden: new Set(['write_files']) },
  ],
]);
const phaseOf = new Map(); // task id -> phase; every bench task is in PLAN

/** Group commit with callbacks: one write + one fdatasync per batch, waiters called when durable. */
let queue = [];
let running = false;
let scheduled = false;
function append(line, done) {
  queue.push({ line, done });
  if (!running && !scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}
function flush() {
  scheduled = false;
  if (queue.length === 0) return void (running = false);
  running = true;
  const batch = queue;
  queue = [];
  const bytes = Buffer.from(batch.map((w) => w.line).join(''));
  write(fd, bytes, 0, bytes.length, null, (err) => {
    const finish = (e) => {
      for (const w of batch) w.done(e);
      flush();
    };
    if (err || !fsync) return finish(err);
    fdatasync(fd, finish);
  });
}

let seq = 0;
const app = Fastify({ logger: false });
app.post('/api/v1/tools/authorize', (request, reply) => {
  const header = request.headers.authorization ?? '';
  let claims;
  try {
    claims = jwt.verify(header.slice(7), key, { algorithms: ['HS256'], issuer: 'workflow-orchestrator' });
  } catch {
    return reply.code(401).send({ code: 'invalid_token' });
  }
  const { task_id: taskId, tool_name: tool } = request.body ?? {};
  if (typeof taskId !== 'string' || typeof tool !== 'string')
    return reply.code(400).send({ code: 'validation_failed' });
  const phase = phaseOf.get(taskId) ?? 'PLAN';
  const policy = POLICIES.get(phase);
  const allowed = !policy.forbidden.has(tool) && policy.allowed.has(tool);
  const decision = {
    allowed,
    reason: allowed
      ? `tool '${tool}' is allowed in phase ${phase}`
      : `tool '${tool}' is not allowed in phase ${phase}`,
    phase,
    tool,
    mode: 'strict',
    would_deny: false,
  };
  const line = `${JSON.stringify({ seq: ++seq, ts: new Date().toISOString(), actor: claims.sub, action: 'tool.authorize', task_id: taskId, ...decision })}\n`;
  append(line, (err) => {
    if (err) reply.code(500).send({ code: 'audit_failed' });
    else reply.send(decision);
  });
  return reply;
});
app.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  app.server.keepAliveTimeout = 72000;
  process.on('SIGTERM', () => process.exit(0)); // lets --cpu-prof write its profile
  console.log(JSON.stringify({ port: app.server.address().port }));
});
