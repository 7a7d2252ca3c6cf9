import { Injectable } from '@nestjs/common';
import { type HealthIndicatorResult } from '@nestjs/terminus';

export type HealthIndicatorFn = () => Promise<HealthIndicatorResult> | HealthIndicatorResult;

/**
 * Readiness indicators contributed by modules (config, state directory, disk, and later
 * workflow and store). A module registers its indicator when it initialises.
 */
@Injectable()
export class HealthRegistry {
  private readonly indicators = new Map<string, HealthIndicatorFn>();

  register(name: string, indicator: HealthIndicatorFn): void {
    this.indicators.set(name, indicator);
  }

  readiness(): HealthIndicatorFn[] {
    return [...this.indicators.values()];
  }

  names(): string[] {
    return [...this.indicators.keys()];
  }
}
