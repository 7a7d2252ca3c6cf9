import { type OrchestratorConfig } from './config.schema.js';

/** Where a config value came from: `default`, `file:<path>` or `env:<NAME>`. */
export type ValueSource = string;

/**
 * The effective, validated configuration of this process, with the source of every value.
 * Injected everywhere config is needed (it is its own injection token).
 */
export class AppConfig {
  constructor(
    readonly values: OrchestratorConfig,
    /** `section.key` → source. */
    readonly sources: Readonly<Record<string, ValueSource>>,
    /** The config file in use, or null when running on defaults and env only. */
    readonly file: string | null,
    /** Working directory relative paths in the config are resolved against. */
    readonly baseDir: string,
  ) {}

  /** Source of `section.key`, e.g. `env:ORCHESTRATOR_SERVER_PORT`. */
  sourceOf(key: string): ValueSource {
    return this.sources[key] ?? 'default';
  }
}
