import { auditClosed, auditWriteFailed } from './audit-errors.js';
import { AuditBacklog } from './audit-backlog.js';
import { type AuditEntry, type AuditEntryInput } from './domain/audit-entry.js';
import { rejectionCodeOf } from '../../test/support/domain-errors.js';

/** An audit log that can be made unwritable, keeping what it wrote in order. */
class FakeLog {
  written: AuditEntryInput[] = [];
  failure: Error | null = null;
  append = async (input: AuditEntryInput): Promise<AuditEntry> => {
    await Promise.resolve();
    if (this.failure) throw this.failure;
    this.written.push(input);
    return { seq: this.written.length } as unknown as AuditEntry;
  };
}

const entry = (actor: string, details?: unknown): AuditEntryInput => ({
  actor,
  action: 'task.create',
  decision: 'allowed',
  success: true,
  details,
});

describe('AuditBacklog', () => {
  const T = Date.UTC(2026, 0, 1);
  let log: FakeLog;
  let backlog: AuditBacklog;
  beforeEach(() => {
    log = new FakeLog();
    backlog = new AuditBacklog(log.append, () => T, 2);
  });

  it('writes straight through while the log is writable', async () => {
    await backlog.write(entry('a'));
    expect(log.written.map((e) => e.actor)).toEqual(['a']);
    expect(backlog.size).toBe(0);
  });

  it('holds entries that failed to write and writes them, marked and oldest first, before the next one', async () => {
    log.failure = auditWriteFailed('audit.jsonl', Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    expect(await rejectionCodeOf(backlog.write(entry('a', { task: 1 })))).toBe('audit_write_failed');
    expect(await rejectionCodeOf(backlog.write(entry('b')))).toBe('audit_write_failed');
    expect(backlog.size).toBe(2);
    expect(log.written).toEqual([]);

    log.failure = null;
    await backlog.write(entry('c'));
    expect(log.written.map((e) => e.actor)).toEqual(['a', 'b', 'c']);
    const delayed = { audit_delayed: { first_attempt_at: '2026-01-01T00:00:00.000Z' } };
    expect(log.written[0]!.details).toEqual({ task: 1, ...delayed });
    expect(log.written[1]!.details).toEqual(delayed);
    expect(log.written[2]!.details).toBeUndefined();
    expect(backlog.size).toBe(0);
  });

  it('says in the refusal whether the entry is held, and stops holding at capacity', async () => {
    log.failure = auditWriteFailed('audit.jsonl', new Error('EACCES'));
    const messages: string[] = [];
    for (const actor of ['a', 'b', 'c']) {
      await backlog.write(entry(actor)).catch((error: Error) => messages.push(error.message));
    }
    expect(messages[0]).toMatch(/held and will be written/);
    expect(messages[2]).toMatch(/was not recorded/);
    expect(backlog.size).toBe(2);
    log.failure = null;
    await backlog.drain();
    expect(log.written.map((e) => e.actor)).toEqual(['a', 'b']);
  });

  it('does not hold entries refused for another reason (a closed log)', async () => {
    log.failure = auditClosed();
    expect(await rejectionCodeOf(backlog.write(entry('a')))).toBe('audit_closed');
    expect(backlog.size).toBe(0);
  });

  it('keeps the rest held when draining fails part-way', async () => {
    backlog = new AuditBacklog(
      (input) => log.append(input),
      () => T,
    );
    log.failure = auditWriteFailed('audit.jsonl', new Error('EIO'));
    for (const actor of ['a', 'b', 'c']) await backlog.write(entry(actor)).catch(() => undefined);
    log.failure = null;
    const append = log.append;
    log.append = async (input) => {
      const written = await append(input);
      log.failure = auditWriteFailed('audit.jsonl', new Error('EIO')); // fails again after one
      return written;
    };
    await expect(backlog.drain()).rejects.toThrow(/EIO/);
    expect(log.written.map((e) => e.actor)).toEqual(['a']);
    expect(backlog.size).toBe(2);
    log.append = append;
    log.failure = null;
    await backlog.drain();
    expect(log.written.map((e) => e.actor)).toEqual(['a', 'b', 'c']);
  });
});
