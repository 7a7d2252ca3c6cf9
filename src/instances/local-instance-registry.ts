import { type Clock } from '../common/domain/clock.js';
import { InstanceRegistry, type Ordering, type Peer } from './instance-registry.js';

/**
 * One process owns the state (`state.backend` file or memory): it is the only instance, and it
 * orders everything itself. Heartbeats are kept in memory so `live` behaves like the shared one.
 */
export class LocalInstanceRegistry extends InstanceRegistry {
  private readonly peers = new Map<string, Peer>();

  constructor(private readonly clock: Clock) {
    super();
  }

  heartbeat(self: Omit<Peer, 'seen_at'>): Promise<void> {
    this.peers.set(self.id, { ...self, seen_at: new Date(this.clock.now()).toISOString() });
    return Promise.resolve();
  }

  live(withinMs: number): Promise<Peer[]> {
    const since = this.clock.now() - withinMs;
    return Promise.resolve(
      [...this.peers.values()]
        .filter((peer) => Date.parse(peer.seen_at) >= since)
        .sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id.localeCompare(b.id)),
    );
  }

  leave(id: string): Promise<void> {
    this.peers.delete(id);
    return Promise.resolve();
  }

  ordering(): Promise<Ordering> {
    const self = [...this.peers.values()][0];
    const by = self ? { instance_id: self.id, at: self.seen_at } : null;
    return Promise.resolve({ events: by, audit: by });
  }
}
