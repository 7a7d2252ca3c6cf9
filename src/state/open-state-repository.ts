import { resolve } from 'node:path';
import { ConfigError } from '../config/config.error.js';
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
}

/**
 * Opens the configured backend. For `file`: locks the state directory (a second process gets
 * `StateLockedError`), replays the journal, and checkpoints every `checkpoint_interval`
 * seconds when `auto_save` is on (every change is journaled and fsynced either way).
 */
export async function openStateRepository({
  config,
  baseDir,
  onWarning,
}: OpenStateOptions): Promise<StateRepository> {
  if (config.backend === 'memory') return new MemoryStateRepository();
  if (config.backend === 'postgres')
    throw new ConfigError('state.backend=postgres: the postgres state store is not wired in yet');
  const repo = await FileStateRepository.open({ stateFile: resolve(baseDir, config.state_file), onWarning });
  if (config.auto_save) repo.startAutoCheckpoint(config.checkpoint_interval * 1000);
  return repo;
}
