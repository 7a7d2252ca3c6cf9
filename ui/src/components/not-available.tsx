import type { Loaded } from './use-load';

/** What a page shows instead of its data: loading, "not available" on an older server, or the error. */
export function LoadState<T>({ loaded, what }: { loaded: Loaded<T>; what: string }) {
  if (loaded.unavailable) {
    return (
      <p class="muted" data-testid="not-available">
        {what} is not available on this server (it needs the operator API of issue 20).
      </p>
    );
  }
  if (loaded.error) {
    return (
      <p class="error" role="alert">
        {loaded.error}
      </p>
    );
  }
  if (loaded.data === null) return <p aria-busy="true">Loading…</p>;
  return null;
}
