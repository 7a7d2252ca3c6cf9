import {
  Global,
  Injectable,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { AuditStore } from '../../audit/audit.store.js';
import type { AuditEntryInput } from '../../audit/domain/audit-entry.js';
import { withRequestId } from '../../audit/with-request-id.js';
import { type RequestScope } from '../../common/http/request-scope.js';
import { StateRepository } from '../state.repository.js';
import { AuditOutboxRelay } from './audit-outbox-relay.js';

/** How often entries left in the outbox by a failed audit write are retried. */
const RETRY_MS = 2_000;
/** How often (and after how long) entries another instance stored but never sealed are taken over. */
const ADOPT_MS = 2_000;

/**
 * How a use case audits a change it stores: pass `outbox.entry({...})` as the mutation's
 * `audit` option (stored with the change), then `await outbox.deliver()` before answering.
 * At start-up (before the server listens) entries a crash left behind are appended.
 */
@Injectable()
export class AuditOutbox implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditOutbox');
  private readonly relay: AuditOutboxRelay;
  private retry: NodeJS.Timeout | null = null;
  private adopt: NodeJS.Timeout | null = null;

  constructor(state: StateRepository, audit: AuditStore) {
    this.relay = new AuditOutboxRelay(state, audit);
  }

  /** The entry as stored: with the id of the request it serves (`scope`), if any. */
  entry(input: AuditEntryInput, scope?: RequestScope | null): AuditEntryInput {
    return withRequestId(input, scope);
  }

  /** Resolves once every change stored so far has its entry in the audit log. */
  async deliver(): Promise<void> {
    try {
      await this.relay.deliver();
    } catch (error) {
      this.scheduleRetry();
      throw error;
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    const recovered = await this.relay.recover();
    if (recovered > 0) {
      this.logger.warn(
        `audit_recovered: appended ${recovered} audit entries of changes stored before a crash (marked details.recovered)`,
      );
    }
    this.adopt = setInterval(() => {
      void this.relay
        .adoptLeftovers(ADOPT_MS)
        .then(
          (adopted) => adopted && this.logger.warn('sealed audit entries another instance stored and left'),
        )
        .catch(() => undefined);
    }, ADOPT_MS);
    this.adopt.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopRetry();
    if (this.adopt) clearInterval(this.adopt);
    await this.relay.deliver().catch((error: unknown) => {
      this.logger.error(
        `audit entries of stored changes could not be written (${(error as Error).message}); they stay in the state store and are written at the next start`,
      );
    });
  }

  private scheduleRetry(): void {
    if (this.retry) return;
    this.retry = setInterval(() => {
      void this.relay
        .deliver()
        .then(() => this.stopRetry())
        .catch(() => undefined);
    }, RETRY_MS);
    this.retry.unref();
  }

  private stopRetry(): void {
    if (this.retry) clearInterval(this.retry);
    this.retry = null;
  }
}

@Global()
@Module({ providers: [AuditOutbox], exports: [AuditOutbox] })
export class AuditOutboxModule {}
