import Fastify, { type FastifyInstance } from 'fastify';
import { enforceRequestTimeout } from './request-timeout.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('enforceRequestTimeout', () => {
  let app: FastifyInstance;
  let base: string;
  // A real socket: Fastify's inject() pulls in an ESM-only dependency Jest cannot require.
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { statusCode: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  beforeEach(async () => {
    app = Fastify();
    enforceRequestTimeout(app, 50);
    app.get('/slow', async () => {
      await sleep(300);
      return { late: true };
    });
    app.get('/fast', async () => ({ ok: true }));
    app.get('/stream', { config: { orchestratorNoRequestTimeout: true } }, async () => {
      await sleep(150);
      return { streamed: true };
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(() => app.close());

  it('answers 503 request_timeout when the handler outlives server.timeout', async () => {
    const res = await get('/slow');
    expect(res.statusCode).toBe(503);
    expect(res.json).toMatchObject({ code: 'request_timeout', statusCode: 503 });
  });

  it('leaves a quick answer alone', async () => {
    const res = await get('/fast');
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ ok: true });
  });

  it('does not time out a route marked NoRequestTimeout', async () => {
    const res = await get('/stream');
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ streamed: true });
  });
});
