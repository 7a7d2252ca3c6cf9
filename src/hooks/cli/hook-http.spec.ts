import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { postJson } from './hook-http.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('postJson', () => {
  let server: Server;
  let url: string;
  let handler: Handler;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => handler(req, body, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const post = (overrides: Partial<Parameters<typeof postJson>[0]> = {}) =>
    postJson({
      baseUrl: `${url}/`,
      path: '/api/v1/x',
      accessToken: 'tok',
      body: { a: 1 },
      timeoutMs: 2000,
      ...overrides,
    });
  const answer =
    (status: number, body: string): Handler =>
    (_req, _body, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };

  it('POSTs the JSON body with the access token and headers, and returns the parsed answer', async () => {
    let seen:
      { method?: string; url?: string; headers: IncomingMessage['headers']; body: string } | undefined;
    handler = (req, body, res) => {
      seen = { method: req.method, url: req.url, headers: req.headers, body };
      answer(200, '{"allowed":true}')(req, body, res);
    };
    await expect(post({ headers: { 'x-phase-token': 'pt' } })).resolves.toEqual({ allowed: true });
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/api/v1/x',
      body: '{"a":1}',
      headers: {
        authorization: 'Bearer tok',
        'content-type': 'application/json',
        'x-phase-token': 'pt',
      },
    });
  });

  it.each([
    [403, '{"statusCode":403,"code":"not_task_holder","message":"not yours"}', 'not_task_holder: not yours'],
    [502, '<html>Bad Gateway</html>', 'http_502: <html>Bad Gateway</html>'],
    [307, '', 'http_307: HTTP 307'],
  ])('turns a %i into its code and message', async (status, body, message) => {
    handler = answer(status, body);
    await expect(post()).rejects.toThrow(message);
  });

  it('gives up when the server does not answer in time', async () => {
    handler = () => undefined;
    await expect(post({ timeoutMs: 100 })).rejects.toThrow(
      `network_error: cannot reach ${url}: no answer within 100 ms`,
    );
  });

  it('refuses an answer of more than 1 MiB', async () => {
    handler = answer(200, `"${'x'.repeat(2 * 1024 * 1024)}"`);
    await expect(post()).rejects.toThrow('the server answered with more than 1048576 bytes');
  });

  it('names the server it cannot reach and never the access token', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const error = await post({ baseUrl: `http://127.0.0.1:${port}`, accessToken: 'secret-token' }).catch(
      (e: Error) => e,
    );
    expect((error as Error).message).toMatch(
      new RegExp(`^network_error: cannot reach http://127.0.0.1:${port}: .*ECONNREFUSED`),
    );
    expect((error as Error).message).not.toContain('secret-token');
  });

  it.each([
    ['file:///etc', 'the server URL file:///etc is not http or https'],
    ['not a url', 'the server URL not a url is not a URL'],
  ])('refuses the server URL %s', async (baseUrl, message) => {
    await expect(post({ baseUrl })).rejects.toThrow(message);
  });
});
