import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/domain/clock.js';
import { EventBus } from '../events/event-bus.js';
import { AuditOutbox } from '../state/outbox/audit-outbox.js';
import { StateRepository } from '../state/state.repository.js';
import { type Task } from './domain/task.model.js';
import { TaskMetrics } from './task-metrics.js';

const SWEEP_MS = 1000;
const PRUNE_EVERY_SWEEPS = 60;

/**
 * Returns tasks whose lease ran out to the queue (or fails them after max_attempts), once a
 * second; once a minute also forgets expired revocations and idempotency records.
 */
@Injectable()
export class LeaseSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LeaseSweeper.name);
  private timer: NodeJS.Timeout | null = null;
  private sweeps = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly state: StateRepository,
    private readonly events: EventBus,
    private readonly outbox: AuditOutbox,
    private readonly metrics: TaskMetrics,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = null));
    }, SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; public so tests with a manual clock can drive it. */
  async sweep(): Promise<void> {
    const now = this.clock.now();
    try {
      const events = (task: Task) => [
        this.events.draft(task.status === 'failed' ? 'task.failed' : 'task.lease_expired', {
          task_id: task.id,
          actor: 'system',
          data: {
            phase: task.phase,
            attempts: task.attempts,
            status: task.status,
            retry_not_before: task.retry_not_before,
          },
        }),
      ];
      const expired = await this.state.expireLeases({
        now,
        retryBackoffMs: this.config.values.tasks.retry_backoff_seconds * 1000,
        audit: (task) =>
          this.outbox.entry({
            actor: 'system',
            role: 'system',
            action: 'task.lease_expired',
            decision: 'n/a',
            success: true,
            task_id: task.id,
            phase: task.phase,
            details: {
              status: task.status,
              attempts: task.attempts,
              retry_not_before: task.retry_not_before,
            },
          }),
        events,
      });
      if (expired.length > 0) await this.outbox.deliver();
      this.metrics.leasesExpired.inc(expired.length);
      if (expired.length > 0) await this.events.committed(expired.flatMap(events));
      // With several processes on one database, one of them prunes per period.
      const pruneEvery = PRUNE_EVERY_SWEEPS * SWEEP_MS;
      if (
        ++this.sweeps % PRUNE_EVERY_SWEEPS === 0 &&
        (await this.state.claimMaintenance('prune', pruneEvery, now))
      ) {
        await this.state.pruneRevocations(now);
        await this.state.pruneIdempotencyRecords(now);
      }
    } catch (err) {
      this.logger.error(`lease sweep failed: ${(err as Error).message}`);
    }
  }
}
