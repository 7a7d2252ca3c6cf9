import { type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { type ErrorBody, errorFromResponse } from '../../sdk/errors.js';

export interface HookPost {
  baseUrl: string;
  path: string;
  accessToken: string;
  body: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** A decision is a few hundred bytes; an answer this big is not one. */
const MAX_ANSWER_BYTES = 1024 * 1024;

type Request = typeof httpRequest;

/**
 * POSTs JSON to the orchestrator and returns the parsed 2xx answer; any other status throws
 * `code: message` (the server's error code, or `http_<status>`), and no answer in time throws
 * `network_error: cannot reach <url>: …`. It uses node:http rather than fetch because loading fetch
 * (undici) costs more than everything else the hook does; it follows no redirect.
 */
export async function postJson(post: HookPost): Promise<unknown> {
  const base = post.baseUrl.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}${post.path}`);
  } catch {
    throw new Error(`the server URL ${base} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the server URL ${base} is not http or https`);
  }
  // TLS is loaded only when the server needs it.
  const request = url.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const payload = JSON.stringify(post.body);
  const { status, text } = await send(request, url, base, payload, post);
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 500) };
    }
  }
  if (status >= 200 && status < 300) return body;
  const error = errorFromResponse(status, (body ?? {}) as ErrorBody);
  throw new Error(`${error.code}: ${error.message}`);
}

function send(
  request: Request,
  url: URL,
  base: string,
  payload: string,
  post: HookPost,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const unreachable = (reason: string) =>
      reject(new Error(`network_error: cannot reach ${base}: ${reason}`));
    const options: RequestOptions = {
      method: 'POST',
      // A fresh connection that closes after the answer, so nothing keeps the process alive.
      agent: false,
      headers: {
        ...post.headers,
        authorization: `Bearer ${post.accessToken}`,
        accept: 'application/json',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      },
    };
    const req = request(url, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          clearTimeout(timer);
          req.destroy();
          reject(new Error(`the server answered with more than ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        unreachable(error.message);
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      unreachable(`no answer within ${post.timeoutMs} ms`);
    }, post.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      unreachable(error.message);
    });
    req.end(payload);
  });
}
