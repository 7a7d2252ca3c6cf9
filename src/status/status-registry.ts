import { Injectable } from '@nestjs/common';

export type StatusContributor = () => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Fields other modules add to `GET /` (workflow, task counts, …). */
@Injectable()
export class StatusRegistry {
  private readonly contributors: StatusContributor[] = [];

  contribute(contributor: StatusContributor): void {
    this.contributors.push(contributor);
  }

  async collect(): Promise<Record<string, unknown>> {
    const parts = await Promise.all(this.contributors.map((c) => c()));
    return Object.assign({}, ...parts) as Record<string, unknown>;
  }
}
