import { type KeyObject } from 'node:crypto';
import { type AuditAnchor, type AuditAnchorStore } from '../anchor/audit-anchor.store.js';
import { type AuditSigner } from './audit-signer.js';

/** How an audit store signs its chain; the same for the file and the postgres store. */
export interface AuditSigningOptions {
  /**
   * Signs `audit.checkpoint` entries (with `anchors`). Without one (tests of other concerns) the
   * chain is only hash-chained. On postgres every instance on one database signs with one key.
   */
  readonly signer?: AuditSigner;
  /** Public keys of earlier signing keys: `verify` still trusts their checkpoints. */
  readonly previousKeys?: readonly KeyObject[];
  /** Where the latest checkpoint is kept apart from the chain; required with `signer`. */
  readonly anchors?: AuditAnchorStore;
  /** `audit.checkpoint_every_entries` (default 1000). */
  readonly checkpointEveryEntries?: number;
  /** `audit.checkpoint_interval_seconds` in ms (default 10 s). */
  readonly checkpointIntervalMs?: number;
  /** `audit.accept_anchor_loss`: open despite a lost or overtaken anchor, recording it. */
  readonly acceptAnchorLoss?: boolean;
  /** After each anchored checkpoint: the export (a log line, a metric). */
  readonly onCheckpoint?: (anchor: AuditAnchor) => void;
}
