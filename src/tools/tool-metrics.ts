import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';

@Injectable()
export class ToolMetrics {
  readonly decisions: Counter<'tool' | 'phase' | 'decision'>;
  readonly duration: Histogram<'tool' | 'outcome'>;

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'orchestrator_tool_decisions_total',
      help: 'Tool policy decisions by tool, phase and decision (allowed, denied)',
      labelNames: ['tool', 'phase', 'decision'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'orchestrator_tool_execution_duration_seconds',
      help: 'Time to run a tool through /tools/execute, by tool and outcome (ok, error)',
      labelNames: ['tool', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    });
  }
}
