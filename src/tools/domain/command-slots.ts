import { DomainError } from '../../common/domain/domain-error.js';

/**
 * How many commands run at once: in all (each may use `tools.sandbox_memory_mb` and a core) and
 * per agent, so one agent looping on slow commands cannot take every slot from the others.
 * Over either cap the call is refused at once (429 with Retry-After), never queued: a queue
 * would let one agent's backlog stall everyone's requests.
 */
export class CommandSlots {
  private running = 0;
  private readonly bySubject = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerSubject: number,
  ) {}

  /** Takes a slot for `subject`; the answer gives it back (calling it twice is harmless). */
  acquire(subject: string): () => void {
    const mine = this.bySubject.get(subject) ?? 0;
    if (mine >= this.maxPerSubject) {
      throw busy(
        `agent '${subject}' already runs ${mine} command${mine === 1 ? '' : 's'} (tools.max_concurrent_commands_per_agent); retry when one ends`,
      );
    }
    if (this.running >= this.max) {
      throw busy(
        `the server already runs ${this.running} commands (tools.max_concurrent_commands); retry shortly`,
      );
    }
    this.running++;
    this.bySubject.set(subject, mine + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.running--;
      const left = (this.bySubject.get(subject) ?? 1) - 1;
      if (left === 0) this.bySubject.delete(subject);
      else this.bySubject.set(subject, left);
    };
  }
}

function busy(message: string): DomainError {
  return new DomainError('rate_limited', 'too_many_commands', message, { retry_after_seconds: 1 });
}
