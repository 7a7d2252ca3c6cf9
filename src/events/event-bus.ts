import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { Clock } from '../common/domain/clock.js';
import { redactSecrets } from '../common/domain/redaction.js';
import { AppConfig } from '../config/app-config.js';
import { EventHistory } from './domain/event-history.js';
import {
  type EventInput,
  type EventQuery,
  type EventType,
  type OrchestratorEvent,
} from './domain/event.model.js';

/**
 * The typed event bus: numbers every change, keeps the last `event.max_history` events for
 * queries, streams them to subscribers, and (with `event.enable_event_persistence`) appends
 * them to a JSONL file reloaded at start. Data is redacted before it is stored or sent.
 */
@Injectable()
export class EventBus implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(EventBus.name);
  private readonly history: EventHistory;
  private readonly live = new Subject<OrchestratorEvent>();
  private readonly file: string | null;
  private nextId = 1;
  private pendingLines: string[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    const { max_history, enable_event_persistence, event_persistence_file } = config.values.event;
    this.history = new EventHistory(max_history);
    this.file = enable_event_persistence ? resolve(config.baseDir, event_persistence_file) : null;
  }

  async onModuleInit(): Promise<void> {
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    let skipped = 0;
    const kept: OrchestratorEvent[] = [];
    for (const line of lines) {
      try {
        kept.push(JSON.parse(line) as OrchestratorEvent);
      } catch {
        skipped += 1;
      }
    }
    for (const event of kept) this.history.add(event);
    this.nextId = (kept.at(-1)?.id ?? 0) + 1;
    if (skipped > 0) this.logger.warn(`${this.file}: skipped ${skipped} unreadable event line(s)`);
    // Keep the file near the history size so it cannot grow without bound.
    const cap = this.config.values.event.max_history;
    if (lines.length > 2 * cap || skipped > 0) {
      const tail = kept.slice(-cap);
      await writeFile(this.file, tail.map((e) => `${JSON.stringify(e)}\n`).join(''));
    }
  }

  publish(type: EventType, input: EventInput = {}): OrchestratorEvent {
    const event: OrchestratorEvent = {
      id: this.nextId++,
      type,
      at: new Date(this.clock.now()).toISOString(),
      ...(input.task_id !== undefined ? { task_id: input.task_id } : {}),
      ...(input.actor !== undefined ? { actor: input.actor } : {}),
      data: redactSecrets(input.data ?? {}) as Record<string, unknown>,
    };
    this.history.add(event);
    if (this.file) this.append(event);
    this.live.next(event);
    return event;
  }

  list(query: EventQuery): OrchestratorEvent[] {
    return this.history.query(query);
  }

  /** Live events from now on. */
  stream(): Observable<OrchestratorEvent> {
    return this.live.asObservable();
  }

  /** Ends open event streams before the HTTP server waits for connections to close. */
  beforeApplicationShutdown(): void {
    this.live.complete();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writing;
  }

  /** Appends in order, batching lines published while a write is in flight. */
  private append(event: OrchestratorEvent): void {
    this.pendingLines.push(`${JSON.stringify(event)}\n`);
    if (this.pendingLines.length > 1) return;
    const file = this.file as string;
    this.writing = this.writing.then(async () => {
      const batch = this.pendingLines.join('');
      this.pendingLines = [];
      await appendFile(file, batch).catch((err: unknown) =>
        this.logger.error(`cannot append events to ${file}: ${(err as Error).message}`),
      );
    });
  }
}
