import { type KeyObject } from 'node:crypto';
import type pg from 'pg';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Clock } from '../common/domain/clock.js';
import type { AuditConfig } from '../config/config.schema.js';
import { type AuditStore, type AuditWarning } from './audit.store.js';
import { type AuditRedactionOptions } from './domain/audit-redaction.js';
import { JsonlAuditStore, type AuditWriteInfo } from './file/jsonl-audit.store.js';
import { MemoryAuditStore } from './memory-audit.store.js';
import { StateDirLock } from '../state/file/state-dir-lock.js';
import { type AuditAnchor, type AuditAnchorStore } from './anchor/audit-anchor.store.js';
import { FileAuditAnchorStore } from './anchor/file-audit-anchor.store.js';
import { type AuditSigner } from './signing/audit-signer.js';
import { type AuditSigningOptions } from './signing/audit-signing-options.js';

export interface OpenAuditOptions {
  readonly config: AuditConfig;
  /** Relative `audit_file` paths are resolved against this directory (`AppConfig.baseDir`). */
  readonly baseDir: string;
  /** `memory` for tests and the memory state backend; `postgres` with `pool`; default `file`. */
  readonly backend?: 'file' | 'memory' | 'postgres';
  /** The shared database pool (`postgres`). */
  readonly pool?: pg.Pool;
  /** This process, recorded on the entries it writes (`postgres`). */
  readonly instanceId?: string;
  readonly clock?: Clock;
  /** Literal secrets (the signing secrets) to scrub from every entry. */
  readonly secrets?: readonly string[];
  readonly redaction?: Partial<AuditRedactionOptions>;
  readonly onWarning?: (warning: AuditWarning) => void;
  readonly onWrite?: (write: AuditWriteInfo) => void;
  /**
   * A directory this process already owns (the state directory). An audit log anywhere else gets
   * its own lock: two servers appending to one log would fork its hash chain.
   */
  readonly ownedDir?: string | null;
  /** Signs checkpoints: with `anchorFile` (file), or anchored in `audit_anchors` (postgres). */
  readonly signer?: AuditSigner;
  readonly previousKeys?: readonly KeyObject[];
  /** Where the latest checkpoint is recorded apart from the log (`<state dir>/audit-anchor.json`). */
  readonly anchorFile?: string;
  readonly onCheckpoint?: (anchor: AuditAnchor) => void;
}

/**
 * Opens the configured audit log. For `file`: resumes the chain from the tail of
 * `audit.audit_file` (start-up warnings go to `onWarning` too) and applies retention; locks
 * the audit directory unless it is `ownedDir`.
 */
export async function openAuditStore(options: OpenAuditOptions): Promise<AuditStore> {
  const redaction = { ...options.redaction, ...(options.secrets ? { secrets: options.secrets } : {}) };
  if (options.backend === 'memory') return new MemoryAuditStore({ clock: options.clock, redaction });
  if (options.backend === 'postgres') {
    if (!options.pool) throw new Error('the postgres audit store needs the database pool');
    const { PostgresAuditStore } = await import('./postgres/postgres-audit.store.js');
    const { PostgresAuditAnchorStore } = await import('./postgres/postgres-audit-anchor.store.js');
    return PostgresAuditStore.open(options.pool, {
      clock: options.clock,
      redaction,
      instanceId: options.instanceId,
      // The anchor lives in its own table; `audit verify --anchor FILE` checks an exported copy.
      ...signingOptions(options, options.signer ? new PostgresAuditAnchorStore(options.pool) : undefined),
      onWarning: options.onWarning,
    });
  }
  const { config } = options;
  const auditFile = resolve(options.baseDir, config.audit_file);
  // The lock file lives in the directory: create it first (a failure surfaces at the lock).
  await mkdir(dirname(auditFile), { recursive: true }).catch(() => undefined);
  const lock =
    options.ownedDir && resolve(options.ownedDir) === dirname(auditFile)
      ? undefined
      : await StateDirLock.acquire(dirname(auditFile), { kind: 'audit' });
  const store = await JsonlAuditStore.open({
    auditFile,
    lock,
    maxEntries: config.max_entries,
    rotateSizeMb: config.rotate_size_mb,
    autoRotate: config.auto_rotate,
    retainFiles: config.retain_files,
    fsync: config.fsync,
    clock: options.clock,
    redaction,
    onWarning: options.onWarning,
    onWrite: options.onWrite,
    ...signingOptions(options, options.anchorFile ? new FileAuditAnchorStore(options.anchorFile) : undefined),
  }).catch(async (error: unknown) => {
    await lock?.release().catch(() => undefined);
    throw error;
  });
  for (const warning of store.startup.warnings) options.onWarning?.(warning);
  return store;
}

/** The signing half of a store's options, from `audit.*` and the resolved key; the same for both stores. */
function signingOptions(
  options: OpenAuditOptions,
  anchors: AuditAnchorStore | undefined,
): AuditSigningOptions {
  const { config } = options;
  return {
    signer: options.signer,
    previousKeys: options.previousKeys,
    anchors,
    checkpointEveryEntries: config.checkpoint_every_entries,
    checkpointIntervalMs: config.checkpoint_interval_seconds * 1000,
    acceptAnchorLoss: config.accept_anchor_loss,
    onCheckpoint: options.onCheckpoint,
  };
}
