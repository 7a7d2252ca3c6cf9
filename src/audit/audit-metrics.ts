import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Audit write latency (write + fdatasync of a group), entries written, the anchored checkpoint. */
@Injectable()
export class AuditMetrics {
  readonly writeSeconds: Histogram;
  readonly entries: Counter;
  readonly anchoredSeq: Gauge;

  constructor(registry: Registry) {
    this.writeSeconds = new Histogram({
      name: 'orchestrator_audit_write_seconds',
      help: 'Time to write and sync one group of audit entries',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.entries = new Counter({
      name: 'orchestrator_audit_entries_total',
      help: 'Audit entries made durable',
      registers: [registry],
    });
    // Exported so a monitor outside this host sees the anchored seq (and notices it go back).
    this.anchoredSeq = new Gauge({
      name: 'orchestrator_audit_anchored_seq',
      help: 'Seq of the latest signed and anchored audit checkpoint',
      registers: [registry],
    });
  }
}
