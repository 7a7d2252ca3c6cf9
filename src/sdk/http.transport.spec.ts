import { AuthError, NotFoundError, OrchestratorUnavailableError } from './errors.js';
import { HttpTransport } from './http.transport.js';

/** A fetch that answers from a script and records what it was asked. */
function fakeFetch(answer: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const seen: Array<{ url: string; init: RequestInit }> = [];
  const fetchFn = (async (url: string | URL | Request, init: RequestInit = {}) => {
    seen.push({ url: String(url), init });
    return answer(String(url), init);
  }) as typeof fetch;
  return { fetchFn, seen };
}

const TOKEN = 'secret.token.value';

describe('HttpTransport.openStream', () => {
  it('answers the open response with the token and Accept: text/event-stream, extra headers added', async () => {
    const { fetchFn, seen } = fakeFetch(
      () =>
        new Response('id: 1\nevent: x\ndata: {}\n\n', {
          status: 200,
          headers: { 'content-type': 'text/event-stream' },
        }),
    );
    const http = new HttpTransport({ baseUrl: 'http://orch.test/', accessToken: TOKEN, fetch: fetchFn });
    const response = await http.openStream('/api/v1/events/stream?type=a', {
      headers: { 'last-event-id': '7' },
    });
    expect(await response.text()).toContain('data: {}');
    expect(seen[0].url).toBe('http://orch.test/api/v1/events/stream?type=a');
    expect(seen[0].init.headers).toEqual({
      authorization: `Bearer ${TOKEN}`,
      accept: 'text/event-stream',
      'last-event-id': '7',
    });
  });

  it('turns a refusal into the typed error naming GET and the URL without its query', async () => {
    const { fetchFn } = fakeFetch(
      (url) =>
        new Response(
          JSON.stringify({ code: url.includes('gone') ? 'route_not_found' : 'invalid_token', message: 'no' }),
          {
            status: url.includes('gone') ? 404 : 401,
          },
        ),
    );
    const http = new HttpTransport({ baseUrl: 'http://orch.test', accessToken: TOKEN, fetch: fetchFn });
    const refused = http.openStream('/api/v1/events/stream?after=1');
    await expect(refused).rejects.toBeInstanceOf(AuthError);
    await expect(refused).rejects.toThrow('GET http://orch.test/api/v1/events/stream: 401 invalid_token: no');
    await expect(http.openStream('/gone')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a network failure is OrchestratorUnavailableError, not retried, the token not in it', async () => {
    const { fetchFn, seen } = fakeFetch(() => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    });
    const http = new HttpTransport({ baseUrl: 'http://orch.test', accessToken: TOKEN, fetch: fetchFn });
    const error = await http.openStream('/api/v1/events/stream').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrchestratorUnavailableError);
    expect((error as Error).message).toBe(
      'GET http://orch.test/api/v1/events/stream: cannot reach the orchestrator: fetch failed (ECONNREFUSED)',
    );
    expect(seen).toHaveLength(1);
  });
});
