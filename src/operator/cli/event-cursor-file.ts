import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CliUsageError } from './operator-cli.errors.js';

/**
 * Where `events tail --cursor-file` keeps the id of the last event it printed, so the next run
 * (`--from-last`) goes on after it. Written atomically after every event: a kill at any moment
 * leaves the previous id or the new one.
 */
export class EventCursorFile {
  constructor(readonly path: string) {}

  /** The stored id, or undefined when the file does not exist yet. */
  read(): number | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliUsageError(
        `cannot read --cursor-file ${this.path}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    const id = Number(text.trim());
    if (!/^\d{1,16}$/.test(text.trim()) || !Number.isSafeInteger(id))
      throw new CliUsageError(`--cursor-file ${this.path} does not hold an event id`);
    return id;
  }

  write(id: number): void {
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${id}\n`);
    renameSync(temp, this.path);
  }
}
