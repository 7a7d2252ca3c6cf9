import { AsyncLocalStorage } from 'node:async_hooks';
import { type Logger } from 'pino';

/** What the code handling a request may want to know about it without threading it through. */
export interface RequestContext {
  readonly requestId: string;
  /** The request's child logger (it binds `request_id`): Nest's log lines inside the request use it. */
  readonly log?: Logger;
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

/** The logger of the request being handled, or null outside a request. */
export function currentRequestLogger(): Logger | null {
  return storage.getStore()?.log ?? null;
}

/** Notes that an audit entry with the id `requestId` has been written for the current request. */
export function markRequestAudited(requestId: string | null): void {
  const context = storage.getStore();
  if (context && requestId === context.requestId) context.audited = true;
}
