import { type RequestScope } from '../common/http/request-scope.js';
import { type AuditEntryInput } from './domain/audit-entry.js';

/**
 * A copy of `input` with the id of the request it serves, unless it names one. Copied with
 * `Object.assign`: on Node 20's V8 `{ ...input, request_id }`, a spread followed by a property
 * its source lacks, takes a slow path (~1 µs for an entry; docs/PERFORMANCE.md, issue 19).
 */
export function withRequestId(
  input: AuditEntryInput,
  scope: RequestScope | null | undefined,
): AuditEntryInput {
  const stamped: { -readonly [K in keyof AuditEntryInput]: AuditEntryInput[K] } = Object.assign({}, input);
  stamped.request_id = input.request_id ?? scope?.requestId ?? null;
  return stamped;
}
