import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { hostname } from 'node:os';
import { Gauge, Registry } from 'prom-client';
import { packageInfo } from '../common/package-info.js';
import { redactUrlCredentials } from '../common/domain/url-credentials.js';
import { InstanceInfo } from '../status/instance.js';
import { StatusRegistry } from '../status/status-registry.js';
import {
  HEARTBEAT_MS,
  InstanceRegistry,
  LIVE_WITHIN_MS,
  type Ordering,
  type Peer,
} from './instance-registry.js';

/**
 * This instance's heartbeat, and its view of the others, refreshed with each beat: `GET /`
 * (`instances`), `orchestrator_instances_live` and the per-instance share of the rate limit
 * read this view, never the database, so none of them can be slowed by it. On shutdown the
 * instance leaves, so the others stop counting it at once.
 */
@Injectable()
export class InstanceHeartbeat implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(InstanceHeartbeat.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private peers: Peer[] = [];
  private order: Ordering = { events: null, audit: null };
  private failing = false;

  constructor(
    private readonly registry: InstanceRegistry,
    private readonly instance: InstanceInfo,
    status: StatusRegistry,
    metrics: Registry,
  ) {
    status.contribute(() => ({ instances: this.view() }));
    const live = () => this.liveCount;
    new Gauge({
      name: 'orchestrator_instances_live',
      help: 'Server processes (instances and workers) this one saw heartbeat within the last 15 s, itself included',
      registers: [metrics],
      collect() {
        this.set(live());
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.running ??= this.beat().finally(() => (this.running = null));
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.registry.leave(this.instance.id).catch(() => undefined);
  }

  /** Live instances, this one included (at least 1, also while the database is away). */
  get liveCount(): number {
    return Math.max(1, this.peers.length);
  }

  /** What `GET /` shows. */
  view(): Record<string, unknown> {
    return {
      self: this.instance.id,
      live: this.liveCount,
      heartbeat_seconds: HEARTBEAT_MS / 1000,
      peers: this.peers,
      events_ordered_by: this.order.events,
      audit_sealed_by: this.order.audit,
    };
  }

  /** One heartbeat and refresh; public so tests can drive it. Never throws: the last view is kept. */
  async beat(): Promise<void> {
    try {
      await this.registry.heartbeat({
        id: this.instance.id,
        host: hostname(),
        pid: this.instance.pid,
        version: packageInfo.version,
        started_at: this.instance.startedAt.toISOString(),
      });
      [this.peers, this.order] = await Promise.all([
        this.registry.live(LIVE_WITHIN_MS),
        this.registry.ordering(),
      ]);
      if (this.failing) this.logger.log('instance heartbeat recorded again');
      this.failing = false;
    } catch (error) {
      if (!this.failing)
        this.logger.warn(
          `cannot record this instance's heartbeat: ${redactUrlCredentials((error as Error).message)}`,
        );
      this.failing = true;
    }
  }
}
