import { AsyncLocalStorage } from 'node:async_hooks';

/** What the code handling a request may want to know about it without threading it through. */
export interface RequestContext {
  readonly requestId: string;
  /**
   * Set once an audit entry carrying this request's id is durable: that entry is the request's
   * line in the logs, so the access line is left out when the request succeeds.
   */
  audited?: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Binds `context` to the rest of the current async flow (called once per request, on arrival). */
export function enterRequestContext(context: RequestContext): void {
  storage.enterWith(context);
}

/** The id of the request being handled, or null outside a request (sweeper, CLI). */
export function currentRequestId(): string | null {
  return storage.getStore()?.requestId ?? null;
}

/** Notes that an audit entry with the id `requestId` has been written for the current request. */
export function markRequestAudited(requestId: string | null): void {
  const context = storage.getStore();
  if (context && requestId === context.requestId) context.audited = true;
}
