import type { Finding, OrchestratorEvent } from './types';

/** Transitions and denials per minute, from the events seen (the chart on the board). */
export class Activity {
  private readonly minutes = new Map<number, { transitions: number; denials: number }>();
  private readonly seen = new Set<number>();

  record(event: OrchestratorEvent): boolean {
    const kind =
      event.type === 'task.transitioned' ? 'transitions' : event.type === 'tool.denied' ? 'denials' : null;
    if (kind === null || this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    const minute = Math.floor(Date.parse(event.at) / 60_000);
    const bucket = this.minutes.get(minute) ?? { transitions: 0, denials: 0 };
    bucket[kind] += 1;
    this.minutes.set(minute, bucket);
    return true;
  }

  /** The last `count` minutes, oldest first, ending with the current one. */
  series(count: number, now = Date.now()): Array<{ minute: number; transitions: number; denials: number }> {
    const last = Math.floor(now / 60_000);
    const out = [];
    for (let m = last - count + 1; m <= last; m++) {
      out.push({ minute: m, ...(this.minutes.get(m) ?? { transitions: 0, denials: 0 }) });
    }
    return out;
  }
}

/** The blockers of a task's last blocked transition, as the stream announced them (gate.blocked). */
export interface StreamBlock {
  at: string;
  gate: string | null;
  from: string | null;
  to: string | null;
  blockers: Finding[];
}

export function blockFromEvent(event: OrchestratorEvent): StreamBlock | null {
  if (event.type !== 'gate.blocked') return null;
  const data = event.data;
  const blockers = Array.isArray(data.blockers) ? (data.blockers as Finding[]) : [];
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return { at: event.at, gate: text(data.gate), from: text(data.from), to: text(data.to), blockers };
}

/** Event types after which a task is no longer blocked where it was. */
export const UNBLOCKING = new Set([
  'task.transitioned',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.released',
  'task.lease_expired',
  'task.requeued',
  'gate.passed',
]);
