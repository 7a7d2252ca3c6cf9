import type pg from 'pg';
import { redactUrlCredentials } from '../../common/domain/url-credentials.js';

export interface EventFollowerOptions {
  /** A session connection for LISTEN (`database.listen_url`, else `database.url`). */
  readonly connect: () => Promise<pg.Client>;
  /** The channel the numberers NOTIFY on (see `eventChannel`). */
  readonly channel: string;
  /** Another instance moved the head to this id. */
  readonly onNotify: (head: number) => void;
  /** Every `pollMs`, whatever LISTEN said: catches what a lost notification or connection missed. */
  readonly onPoll: () => void;
  readonly pollMs: number;
  /** Wait before connecting again after the listen connection failed or dropped (ms). */
  readonly reconnectMs: number;
  readonly warn: (message: string) => void;
  readonly info: (message: string) => void;
}

/**
 * How an instance hears of events other instances numbered: one LISTEN connection, and a
 * safety poll. NOTIFY is only a wake-up (a lost one delays an event by at most `pollMs`); the
 * events table is the truth. The connection is re-made after it drops; while it is down the
 * poll alone keeps the stream going.
 */
export class EventFollower {
  private client: pg.Client | null = null;
  private poll: NodeJS.Timeout | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  private stopped = false;
  private down = false;

  constructor(private readonly options: EventFollowerOptions) {}

  start(): void {
    this.poll = setInterval(() => this.options.onPoll(), this.options.pollMs);
    this.poll.unref();
    void this.listen();
  }

  /** Whether the LISTEN connection is up (false: events from other instances come by polling). */
  get listening(): boolean {
    return this.client !== null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.reconnect) clearTimeout(this.reconnect);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    let client: pg.Client | null = null;
    try {
      client = await this.options.connect();
      client.on('notification', (message) => {
        const head = Number(message.payload);
        if (Number.isSafeInteger(head)) this.options.onNotify(head);
      });
      client.on('error', () => this.lost(client!));
      client.on('end', () => this.lost(client!));
      await client.query(`LISTEN "${this.options.channel.replaceAll('"', '""')}"`);
      if (this.stopped) return void (await client.end().catch(() => undefined));
      this.client = client;
      if (this.down) this.options.info('listening for events of other instances again');
      this.down = false;
      // What was numbered while we were not listening.
      this.options.onPoll();
    } catch (error) {
      await client?.end().catch(() => undefined);
      this.failed(error);
    }
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    void client.end().catch(() => undefined);
    this.failed(new Error('the listen connection closed'));
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    if (!this.down) {
      this.options.warn(
        `cannot listen for events of other instances (polling every ${this.options.pollMs} ms meanwhile): ` +
          redactUrlCredentials((error as Error).message),
      );
    }
    this.down = true;
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      void this.listen();
    }, this.options.reconnectMs);
    this.reconnect.unref();
  }
}
