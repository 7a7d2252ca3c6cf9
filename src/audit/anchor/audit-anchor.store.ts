import { type SignedCheckpoint } from '../domain/checkpoint.js';

/**
 * The latest checkpoint, recorded outside the audit files. `seq` and `hash` are the checkpoint
 * entry's own, so `verify` can tell that the log still holds it: a log cut short before it, or
 * rewritten at it, no longer matches.
 */
export interface AuditAnchor {
  readonly seq: number;
  readonly hash: string;
  readonly checkpoint: SignedCheckpoint;
}

/**
 * Port: where the audit log's latest checkpoint is kept apart from the audit files (file
 * adapter in the state directory, memory for tests, later postgres). Its own injection token.
 *
 * Contract: `write` resolves once the anchor is durable and replaces the previous one whole
 * (a reader sees the old or the new one, never a mix); `read` returns the last written anchor,
 * null when none was ever written, and throws `audit_anchor_corrupt` for a damaged one.
 */
export abstract class AuditAnchorStore {
  abstract read(): Promise<AuditAnchor | null>;
  abstract write(anchor: AuditAnchor): Promise<void>;
  /** Shown in reports and errors (a file path, or `memory`). */
  abstract readonly location: string;
}
