import { type ErrorBody, errorFromResponse, OrchestratorUnavailableError } from './errors.js';
import {
  backoffMs,
  parseRetryAfter,
  RETRYABLE_STATUSES,
  type RetryOptions,
  retrySettings,
} from './retry.policy.js';

export interface TransportOptions {
  baseUrl: string;
  accessToken: string;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** Per-attempt timeout in ms (default 30 000). */
  timeoutMs?: number;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Only calls that are safe to repeat set this (see docs/AGENT_SDK.md "Retries"). */
  retryable: boolean;
}

export interface HttpResult<T> {
  status: number;
  body: T;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** JSON over HTTP with the access token, typed errors, and retries for the calls that allow them. */
export class HttpTransport {
  private readonly settings;
  private readonly fetchFn: typeof fetch;
  readonly baseUrl: string;

  constructor(private readonly options: TransportOptions) {
    this.settings = retrySettings(options.retry);
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async call<T>(method: string, path: string, options: CallOptions): Promise<HttpResult<T>> {
    const attempts = options.retryable ? this.settings.retries + 1 : 1;
    let last: OrchestratorUnavailableError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const wait = last?.retryAfterMs ?? backoffMs(attempt - 1, this.settings);
        await sleep(Math.min(wait, this.settings.maxDelayMs));
      }
      try {
        return await this.once<T>(method, path, options);
      } catch (error) {
        if (!(error instanceof OrchestratorUnavailableError)) throw error;
        last = error;
      }
    }
    throw last!;
  }

  /**
   * Opens a streaming GET (Server-Sent Events) and answers the response once its status is 2xx;
   * the caller reads `body`. Refusals and network errors are the same typed errors as `call`'s.
   * Not retried: a stream's client decides when to reconnect (and from which event).
   */
  async openStream(
    path: string,
    options: { headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    const tried = `GET ${printableUrl(url)}`;
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method: 'GET',
        headers: { ...this.headers('text/event-stream'), ...options.headers },
        signal: options.signal,
      });
    } catch (error) {
      throw unreachable(tried, error);
    }
    if (response.ok) return response;
    let text = '';
    try {
      text = await response.text();
    } catch {
      // the refusal's body is lost; its status still says what happened
    }
    throw this.refusal(response, parseBody(text), tried);
  }

  private headers(accept: string): Record<string, string> {
    return { authorization: `Bearer ${this.options.accessToken}`, accept };
  }

  private async once<T>(method: string, path: string, options: CallOptions): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...this.headers('application/json'), ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const url = `${this.baseUrl}${path}`;
    const tried = `${method} ${printableUrl(url)}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      text = await response.text();
    } catch (error) {
      throw unreachable(tried, error);
    }
    const body = parseBody(text);
    if (response.ok) return { status: response.status, body: body as T };
    throw this.refusal(response, body, tried);
  }

  private refusal(response: Response, body: unknown, tried: string) {
    const retryAfter = RETRYABLE_STATUSES.has(response.status)
      ? parseRetryAfter(response.headers.get('retry-after'))
      : undefined;
    return errorFromResponse(response.status, (body ?? {}) as ErrorBody, retryAfter, tried);
  }
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500) };
  }
}

function unreachable(tried: string, error: unknown): OrchestratorUnavailableError {
  return new OrchestratorUnavailableError(
    `${tried}: cannot reach the orchestrator: ${networkReason(error)}`,
    'network_error',
    0,
  );
}

/** The URL as it may appear in an error: no credentials in it, no query string (tokens may sit there). */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split(/[?#]/)[0];
  }
}

/** fetch says only "fetch failed"; the cause says why (ECONNREFUSED, ENOTFOUND, a timeout…). */
function networkReason(error: unknown): string {
  // Duck-typed: errors from another realm (a test VM) are not `instanceof Error` here.
  const { message, cause } = (error ?? {}) as {
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const said = typeof message === 'string' ? message : String(error);
  const why =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return why && !said.includes(why) ? `${said} (${why})` : said;
}
