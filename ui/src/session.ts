/**
 * The operator token lives in this tab's sessionStorage only: it survives a reload of the tab,
 * is gone when the tab closes, is never sent by the browser on its own (no cookie, so no CSRF),
 * and never goes into a URL, a log line or the page's HTML. Every API call puts it in the
 * Authorization header (api.ts, stream.ts).
 */
const KEY = 'orchestrator.console.token';

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

/** The `sub` and `role` claims, read (not verified: the server verifies) to greet the operator. */
export function claimsOf(token: string): { sub?: string; role?: string } {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json) as { sub?: string; role?: string };
  } catch {
    return {};
  }
}
