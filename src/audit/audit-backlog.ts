import { DomainError, UnavailableError } from '../common/domain/domain-error.js';
import { type AuditEntry, type AuditEntryInput } from './domain/audit-entry.js';

/**
 * Entries whose append failed because the log could not be written (disk full, permission
 * lost). The request that made them is refused with 503, but its change may already be in the
 * state store (a task created, a transition made), so dropping the entry would leave a real
 * change unaudited. They are held in memory, oldest first, and written before anything newer
 * once the log is writable again, marked `details.audit_delayed`. A crash while entries are held
 * loses them: held entries are logged as lost at shutdown if they still cannot be written.
 */
export class AuditBacklog {
  private readonly held: AuditEntryInput[] = [];
  private draining: Promise<void> | null = null;

  constructor(
    private readonly append: (input: AuditEntryInput) => Promise<AuditEntry>,
    private readonly now: () => number,
    /** Beyond this many held entries new failures are not held (memory stays bounded). */
    private readonly capacity = 10_000,
  ) {}

  get size(): number {
    return this.held.length;
  }

  /** Appends `input` after every held entry; if that fails with a write failure, holds it. */
  async write(input: AuditEntryInput): Promise<AuditEntry> {
    try {
      if (this.held.length > 0) await this.drain();
      return await this.append(input);
    } catch (error) {
      if (!isWriteFailure(error)) throw error;
      const kept = this.hold(input);
      throw new UnavailableError(
        'audit_write_failed',
        `${error.message.replace(/ The entry was not recorded\.$/, '')}. ` +
          (kept
            ? 'The entry is held and will be written once the audit log is writable again.'
            : 'The entry was not recorded (too many entries are already waiting).'),
      );
    }
  }

  /** Writes the held entries, oldest first; stops at the first failure, leaving the rest held. */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        while (this.held.length > 0) {
          await this.append(this.held[0]!);
          this.held.shift();
        }
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  private hold(input: AuditEntryInput): boolean {
    if (this.held.length >= this.capacity) return false;
    const details = input.details;
    const mark = { audit_delayed: { first_attempt_at: new Date(this.now()).toISOString() } };
    this.held.push({
      ...input,
      details:
        details !== null && typeof details === 'object' && !Array.isArray(details)
          ? { ...details, ...mark }
          : details === undefined || details === null
            ? mark
            : { value: details, ...mark },
    });
    return true;
  }
}

function isWriteFailure(error: unknown): error is DomainError {
  return error instanceof DomainError && error.code === 'audit_write_failed';
}
