import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';

export type HealthIndicatorFn = () => Promise<HealthIndicatorResult> | HealthIndicatorResult;

/** What a store reports about itself (the state store and the audit log share this shape). */
export interface StoreHealth {
  readonly status: 'up' | 'down';
  readonly backend: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Readiness indicators contributed by modules (config, state directory, disk, workflow,
 * stores). A module registers its indicator when it initialises.
 */
@Injectable()
export class HealthRegistry {
  private readonly indicators = new Map<string, HealthIndicatorFn>();

  constructor(private readonly health: HealthIndicatorService) {}

  register(name: string, indicator: HealthIndicatorFn): void {
    this.indicators.set(name, indicator);
  }

  /** An indicator named `name` that is up or down as the store says. */
  registerStore(name: string, probe: () => Promise<StoreHealth>): void {
    this.register(name, async () => {
      const { status, backend, details } = await probe();
      const check = this.health.check(name);
      return status === 'up' ? check.up({ backend, ...details }) : check.down({ backend, ...details });
    });
  }

  readiness(): HealthIndicatorFn[] {
    return [...this.indicators.values()];
  }

  names(): string[] {
    return [...this.indicators.keys()];
  }
}
