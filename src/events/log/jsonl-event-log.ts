import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type OrchestratorEvent } from '../domain/event.model.js';
import { EventLog, type PersistedEvents } from './event-log.js';

/** Events appended to a JSONL file (`event.event_persistence_file`), reloaded at start. */
export class JsonlEventLog extends EventLog {
  private pendingLines: string[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly warn: (message: string) => void,
  ) {
    super();
  }

  /** Reads the file; events before an unreadable line count as lost. Keeps the file near `keep` lines. */
  async load(keep: number): Promise<PersistedEvents> {
    await mkdir(dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    let skipped = 0;
    let lostThrough = 0;
    const kept: OrchestratorEvent[] = [];
    for (const line of lines) {
      try {
        kept.push(JSON.parse(line) as OrchestratorEvent);
      } catch {
        skipped += 1;
        lostThrough = kept.at(-1)?.id ?? lostThrough;
      }
    }
    const tail = kept.slice(-keep);
    if (tail.length > 0) lostThrough = Math.max(lostThrough, tail[0]!.id - 1);
    if (skipped > 0) this.warn(`${this.file}: skipped ${skipped} unreadable event line(s)`);
    // Keep the file near the history size so it cannot grow without bound.
    if (lines.length > 2 * keep || skipped > 0) {
      await writeFile(this.file, tail.map((e) => `${JSON.stringify(e)}\n`).join(''));
    }
    return { events: tail, lostThrough };
  }

  /** Appends in order, batching lines published while a write is in flight. */
  append(event: OrchestratorEvent): void {
    this.pendingLines.push(`${JSON.stringify(event)}\n`);
    if (this.pendingLines.length > 1) return;
    this.writing = this.writing.then(async () => {
      const batch = this.pendingLines.join('');
      this.pendingLines = [];
      await appendFile(this.file, batch).catch((err: unknown) =>
        this.warn(`cannot append events to ${this.file}: ${(err as Error).message}`),
      );
    });
  }

  flush(): Promise<void> {
    return this.writing;
  }
}
