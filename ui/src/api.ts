/** Calls to the orchestrator's API on this origin, with the operator token in the Authorization header. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** The server has no such route (an older server, or an endpoint not deployed yet). */
  get unavailable(): boolean {
    return (
      this.status === 404 &&
      (this.code === 'not_found' || this.code === 'route_not_found' || this.code === '')
    );
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export type Api = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>;

/** An API client bound to a token; `onUnauthorized` runs when the server no longer accepts it. */
export function apiClient(token: string, onUnauthorized: () => void): Api {
  return async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
    } catch {
      throw new ApiError(0, 'unreachable', 'cannot reach the orchestrator');
    }
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) {
      const error = (parsed ?? {}) as { code?: string; message?: string; detail?: string };
      if (response.status === 401) onUnauthorized();
      throw new ApiError(
        response.status,
        error.code ?? '',
        error.detail ?? error.message ?? `${method} ${path}: HTTP ${response.status}`,
      );
    }
    return parsed as T;
  };
}

/** A short text for an error, for the page. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.code ? `${error.message} (${error.code})` : error.message;
  return error instanceof Error ? error.message : String(error);
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : null;
  } catch {
    return null;
  }
}
