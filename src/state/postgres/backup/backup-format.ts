import { createHash } from 'node:crypto';
import type { Task } from '../../../tasks/domain/task.model.js';

/** Marks a postgres state backup; the file store's backups are snapshot files (another format). */
export const PG_BACKUP_FORMAT = 'orchestrator-postgres-state-backup';
export const PG_BACKUP_VERSION = 1;

/** What the postgres state repository owns; the audit chain, events and outboxes stay for pg_dump. */
export interface BackupContent {
  readonly tasks: readonly Task[];
  readonly dependencies: readonly (readonly [string, string])[];
  readonly revocations: readonly { readonly jti: string; readonly expires_at: string }[];
  readonly idempotency_keys: readonly {
    readonly key: string;
    readonly response: unknown;
    readonly expires_at: string;
  }[];
}

/** The file: one JSON line, `format` first (backup-kind.ts reads it from the head). */
export interface BackupFile {
  readonly format: string;
  readonly version: number;
  readonly backend: 'postgres';
  readonly schema_version: number;
  readonly written_at: string;
  /** sha256 of JSON.stringify(content), so any edit to the content is seen. */
  readonly digest: string;
  readonly content: BackupContent;
}

export function contentDigest(content: BackupContent): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
}
