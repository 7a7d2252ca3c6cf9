import { AuditAnchorStore, type AuditAnchor } from './audit-anchor.store.js';

/** Keeps the anchor in memory: for tests and the memory audit backend. */
export class MemoryAuditAnchorStore extends AuditAnchorStore {
  readonly location = 'memory';
  private anchor: AuditAnchor | null = null;

  read(): Promise<AuditAnchor | null> {
    return Promise.resolve(this.anchor === null ? null : structuredClone(this.anchor));
  }

  write(anchor: AuditAnchor): Promise<void> {
    this.anchor = structuredClone(anchor);
    return Promise.resolve();
  }
}
