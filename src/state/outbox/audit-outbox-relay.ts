import { DomainError, UnavailableError } from '../../common/domain/domain-error.js';
import type { AuditStore } from '../../audit/audit.store.js';
import type { OutboxEntry, StateRepository } from '../state.repository.js';
import { stampedAuditEntry } from './stamped-audit-entry.js';

/** Clock skew allowed between the store's `stored_at` and the audit entry's time. */
const SKEW_MS = 5_000;

/**
 * Moves audit entries from the state store's outbox into the audit log: a change and its entry
 * are stored together (one durable write), then the entry is appended here and acknowledged.
 *
 * - `deliver()` runs a pass that starts after the call, so a caller whose change is stored has
 *   its entry in the log when it resolves. Passes are serialised and coalesced (one pass serves
 *   every caller waiting on it), and the audit log's group commit batches their appends.
 * - `recover()` (start-up, before the server answers) first drops entries the log already holds
 *   (a crash after the append, before the acknowledgement), then appends the rest marked
 *   `details.recovered` with the time the change was stored.
 * - An entry appended in this process is never appended again, even if its acknowledgement
 *   failed to be written (it is retried by the next pass).
 */
/**
 * An audit log that reads the state store's outbox itself, in one transaction per batch (the
 * postgres backend: outbox and log are tables of one database, so an entry moves exactly once
 * even with several instances sealing at the same time).
 */
export interface StateOutboxSealer {
  /** Moves every entry in the state store's outbox into the log; returns how many. */
  sealStateOutbox(): Promise<number>;
  /** Whether an entry stored more than `olderThanMs` ago still waits (its writer died before sealing it). */
  hasStaleStateOutbox(olderThanMs: number): Promise<boolean>;
}

function sealerOf(audit: AuditStore): StateOutboxSealer | null {
  const candidate = audit as Partial<StateOutboxSealer>;
  return typeof candidate.sealStateOutbox === 'function' ? (audit as unknown as StateOutboxSealer) : null;
}

export class AuditOutboxRelay {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private readonly delivered = new Set<string>();

  constructor(
    private readonly state: StateRepository,
    private readonly audit: AuditStore,
  ) {}

  deliver(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) {
      this.running = this.runPass(false)
        .then(() => undefined)
        .finally(() => (this.running = null));
      return this.running;
    }
    this.queued = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.deliver();
      });
    return this.queued;
  }

  /**
   * Seals entries another instance stored and did not seal (it died in between): a survivor
   * takes them over instead of waiting for the next audited change. Only with a sealing store.
   */
  async adoptLeftovers(olderThanMs: number): Promise<boolean> {
    const sealer = sealerOf(this.audit);
    if (!sealer || !(await sealer.hasStaleStateOutbox(olderThanMs))) return false;
    await this.deliver();
    return true;
  }

  /** Start-up: appends what a crash left in the outbox; returns how many entries were appended. */
  async recover(): Promise<number> {
    const sealer = sealerOf(this.audit);
    if (sealer) return sealer.sealStateOutbox().catch((error: unknown) => Promise.reject(unwritten(error)));
    const pending = await this.state.pendingAudit();
    if (pending.length === 0) return 0;
    const logged = await this.alreadyLogged(pending);
    for (const entry of pending) if (logged.has(entry.change_id)) this.delivered.add(entry.change_id);
    return this.runPass(true);
  }

  /** One pass over the outbox; returns how many entries it appended. */
  private async runPass(recovered: boolean): Promise<number> {
    const sealer = sealerOf(this.audit);
    if (sealer) return sealer.sealStateOutbox().catch((error: unknown) => Promise.reject(unwritten(error)));
    const pending = await this.state.pendingAudit();
    // An id is forgotten only once a read no longer shows it: a read that raced its (unawaited)
    // acknowledgement may still return it, and it must not be appended twice.
    const stillPending = new Set(pending.map((item) => item.change_id));
    for (const id of this.delivered) if (!stillPending.has(id)) this.delivered.delete(id);
    const fresh = pending.filter((item) => !this.delivered.has(item.change_id));
    // Called in order without awaiting each: the log chains them in this order and writes
    // them with one fsync (its group commit).
    const results = await Promise.allSettled(
      fresh.map((item) => this.audit.append(stampedAuditEntry(item, recovered))),
    );
    const done = pending.filter((item) => this.delivered.has(item.change_id)).map((i) => i.change_id);
    let failure: unknown = null;
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        this.delivered.add(fresh[i]!.change_id);
        done.push(fresh[i]!.change_id);
      } else failure ??= result.reason;
    });
    if (done.length > 0) {
      // Not awaited: the entries are in the log; a lost acknowledgement only makes the next
      // start-up look them up before appending.
      void this.state.acknowledgeAudit(done).catch(() => undefined);
    }
    if (failure !== null) throw unwritten(failure);
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  /** Change ids of pending entries that the audit log already holds. */
  private async alreadyLogged(pending: readonly OutboxEntry[]): Promise<Set<string>> {
    const wanted = new Set(pending.map((p) => p.change_id));
    const found = new Set<string>();
    const since = new Date(Math.min(...pending.map((p) => Date.parse(p.stored_at))) - SKEW_MS).toISOString();
    let cursor: string | undefined;
    do {
      const page = await this.audit.query({ since, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const entry of page.entries) {
        const id = changeIdOf(entry.details);
        if (id !== null && wanted.has(id)) found.add(id);
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor && found.size < wanted.size);
    return found;
  }
}

function unwritten(error: unknown): unknown {
  if (!(error instanceof DomainError) || error.code !== 'audit_write_failed') return error;
  return new UnavailableError(
    'audit_write_failed',
    `${error.message.replace(/ The entry was not recorded\.$/, '')}. The change is stored; its audit entry is kept ` +
      'with it and will be written once the audit log is writable again.',
  );
}

function changeIdOf(details: unknown): string | null {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return null;
  const id = (details as Record<string, unknown>)['change_id'];
  return typeof id === 'string' ? id : null;
}
