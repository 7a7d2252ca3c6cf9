/** How often each instance says it is alive (and refreshes what it knows of the others). */
export const HEARTBEAT_MS = 5000;
/** An instance silent this long is no longer counted (three missed heartbeats). */
export const LIVE_WITHIN_MS = 3 * HEARTBEAT_MS;

/** A server process as the others see it. */
export interface Peer {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly started_at: string;
  /** Its last heartbeat. */
  readonly seen_at: string;
}

/** Who ordered a shared log last, and when (null: nobody yet). */
export interface OrderedBy {
  readonly instance_id: string | null;
  readonly at: string;
}

export interface Ordering {
  /** The instance that numbered the newest events. */
  readonly events: OrderedBy | null;
  /** The instance that sealed the newest audit entries into the hash chain. */
  readonly audit: OrderedBy | null;
}

/**
 * The server processes sharing this state, each registered by its own heartbeats. Its own
 * injection token. With the file and memory backends there is only this process; with
 * postgres every instance and worker on the database (the `instances` table, the database's clock).
 */
export abstract class InstanceRegistry {
  /** Records `self` as alive now (first call registers it). */
  abstract heartbeat(self: Omit<Peer, 'seen_at'>): Promise<void>;

  /** Instances whose last heartbeat is at most `withinMs` old, oldest start first. */
  abstract live(withinMs: number): Promise<Peer[]>;

  /** `id` is stopping: the others stop counting it at once instead of after `withinMs`. */
  abstract leave(id: string): Promise<void>;

  /** Who ordered events and the audit chain last. */
  abstract ordering(): Promise<Ordering>;
}
