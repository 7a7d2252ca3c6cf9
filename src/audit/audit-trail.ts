import { Injectable } from '@nestjs/common';
import { currentRequestId } from '../common/http/request-context.js';
import { AuditStore } from './audit.store.js';
import { type AuditEntry, type AuditEntryInput } from './domain/audit-entry.js';

/**
 * How use cases write to the audit log. `record` resolves once the entry is durable, so a
 * service that awaits it before answering never acknowledges an unaudited decision.
 * The request id comes from the request being handled.
 */
@Injectable()
export class AuditTrail {
  constructor(private readonly store: AuditStore) {}

  record(entry: AuditEntryInput): Promise<AuditEntry> {
    return this.store.append({ ...entry, request_id: entry.request_id ?? currentRequestId() });
  }

  /**
   * For refusals: the request fails whatever happens to its entry, so nobody waits on it;
   * the entry is still written in order with the rest.
   */
  recordRefusal(entry: AuditEntryInput): void {
    this.record(entry).catch(() => undefined);
  }
}
