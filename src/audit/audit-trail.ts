import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { Clock } from '../common/domain/clock.js';
import { type RequestScope } from '../common/http/request-scope.js';
import { AuditBacklog } from './audit-backlog.js';
import { AuditStore } from './audit.store.js';
import { type AuditEntry, type AuditEntryInput } from './domain/audit-entry.js';
import { withRequestId } from './with-request-id.js';

/** How often held entries are retried when no new entry comes along. */
const RETRY_HELD_MS = 2_000;

/**
 * How use cases write to the audit log. `record` resolves once the entry is durable, so a
 * service that awaits it before answering never acknowledges an unaudited decision. An entry
 * whose write failed is held and written later (see AuditBacklog). The request id comes from
 * the `RequestScope` the use case passes (none for work no request asked for).
 */
@Injectable()
export class AuditTrail implements OnModuleDestroy {
  private readonly logger = new Logger('AuditTrail');
  private readonly backlog: AuditBacklog;
  private retry: NodeJS.Timeout | null = null;

  constructor(store: AuditStore, clock: Clock) {
    this.backlog = new AuditBacklog(
      (input) => store.append(input),
      () => clock.now(),
    );
  }

  async record(entry: AuditEntryInput, scope?: RequestScope | null): Promise<AuditEntry> {
    try {
      const written = await this.backlog.write(withRequestId(entry, scope));
      if (scope && written.request_id === scope.requestId) scope.audited = true;
      return written;
    } finally {
      this.scheduleRetry();
    }
  }

  /**
   * For refusals: the request fails whatever happens to its entry, so nobody waits on it;
   * the entry is still written in order with the rest.
   */
  recordRefusal(entry: AuditEntryInput, scope?: RequestScope | null): void {
    this.record(entry, scope).catch(() => undefined);
  }

  /** Entries waiting for the log to become writable again. */
  get held(): number {
    return this.backlog.size;
  }

  /** Last chance for held entries before the log closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopRetry();
    if (this.backlog.size === 0) return;
    await this.backlog.drain().catch(() => {
      this.logger.error(`${this.backlog.size} held audit entries could not be written and are lost`);
    });
  }

  private scheduleRetry(): void {
    if (this.backlog.size === 0) return this.stopRetry();
    if (this.retry) return;
    this.retry = setInterval(() => {
      const waiting = this.backlog.size;
      void this.backlog
        .drain()
        .then(() => waiting > 0 && this.logger.log(`${waiting} held audit entries written`))
        .catch(() => undefined)
        .finally(() => {
          if (this.backlog.size === 0) this.stopRetry();
        });
    }, RETRY_HELD_MS);
    this.retry.unref();
  }

  private stopRetry(): void {
    if (this.retry) clearInterval(this.retry);
    this.retry = null;
  }
}
