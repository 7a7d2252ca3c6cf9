/** A small HTTP client for tests: JSON in, status + JSON out. */
export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export function api(baseUrl: string) {
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
  };
  return {
    get: <T = Record<string, unknown>>(path: string, token?: string, headers?: Record<string, string>) =>
      call<T>('GET', path, { token, headers }),
    post: <T = Record<string, unknown>>(
      path: string,
      token: string | undefined,
      body?: unknown,
      headers?: Record<string, string>,
    ) => call<T>('POST', path, { token, body, headers }),
  };
}
