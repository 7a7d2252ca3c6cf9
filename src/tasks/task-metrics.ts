import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { TASK_STATUSES } from './domain/task.model.js';
import { StateRepository } from '../state/state.repository.js';

/** Domain metrics of the task queue (DESIGN.md §8). */
@Injectable()
export class TaskMetrics {
  readonly transitions: Counter<'from' | 'to' | 'result'>;
  readonly gateEvaluations: Counter<'gate' | 'result'>;
  readonly claims: Counter<'result'>;
  readonly leasesExpired: Counter;

  constructor(registry: Registry, state: StateRepository) {
    new Gauge({
      name: 'orchestrator_tasks',
      help: 'Tasks by status',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        const counts = await state.countByStatus();
        for (const status of TASK_STATUSES) this.set({ status }, counts[status] ?? 0);
      },
    });
    this.transitions = new Counter({
      name: 'orchestrator_transitions_total',
      help: 'Transition requests by source phase, target phase and result (allowed, blocked)',
      labelNames: ['from', 'to', 'result'],
      registers: [registry],
    });
    this.gateEvaluations = new Counter({
      name: 'orchestrator_gate_evaluations_total',
      help: 'Gate evaluations by gate and result (passed, blocked)',
      labelNames: ['gate', 'result'],
      registers: [registry],
    });
    this.claims = new Counter({
      name: 'orchestrator_claims_total',
      help: 'Claim requests by result (claimed, resumed, empty)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.leasesExpired = new Counter({
      name: 'orchestrator_leases_expired_total',
      help: 'Leases that ran out without a heartbeat',
      registers: [registry],
    });
  }
}
