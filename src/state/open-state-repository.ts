import { resolve } from 'node:path';
import { ConfigError } from '../config/config.error.js';
import type { SharedDatabase } from '../database/shared-database.js';
import type { StateConfig } from '../config/config.schema.js';
import { FileStateRepository } from './file/file-state.repository.js';
import type { StateWarning } from './file/load-state.js';
import { MemoryStateRepository } from './memory-state.repository.js';
import type { StateRepository } from './state.repository.js';

export interface OpenStateOptions {
  readonly config: StateConfig;
  /** Relative `state_file` paths are resolved against this directory. */
  readonly baseDir: string;
  readonly onWarning: (warning: StateWarning) => void;
  /** The shared database (`postgres` backend only). */
  readonly database?: SharedDatabase | null;
  /** This process, recorded on the audit entries it stores (`postgres`). */
  readonly instanceId?: string;
}

/**
 * Opens the configured backend. For `file`: locks the state directory (a second process gets
 * `StateLockedError`), replays the journal, and checkpoints every `checkpoint_interval`
 * seconds when `auto_save` is on (every change is journaled and fsynced either way). For
 * `postgres`: the tables of the already opened (and migrated) database; every change commits.
 */
export async function openStateRepository({
  config,
  baseDir,
  onWarning,
  database,
  instanceId,
}: OpenStateOptions): Promise<StateRepository> {
  if (config.backend === 'memory') return new MemoryStateRepository();
  if (config.backend === 'postgres') {
    if (!database) throw new ConfigError('state.backend=postgres needs database.url');
    const { PostgresStateRepository } = await import('./postgres/postgres-state.repository.js');
    return new PostgresStateRepository({ pool: database.pool, instanceId });
  }
  const repo = await FileStateRepository.open({ stateFile: resolve(baseDir, config.state_file), onWarning });
  if (config.auto_save) repo.startAutoCheckpoint(config.checkpoint_interval * 1000);
  return repo;
}
