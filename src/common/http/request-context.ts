import { AsyncLocalStorage } from 'node:async_hooks';

/** What the code handling a request may want to know about it without threading it through. */
export interface RequestContext {
  requestId: string;
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
