import 'reflect-metadata';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';

/**
 * Typed configuration, one class per section, with the deployment guide's defaults.
 * Every key here is a config-file key (`section.key`) and an env variable
 * (`ORCHESTRATOR_<SECTION>_<KEY>`). Keep docs/configuration tables in step with it.
 */
export class ServerConfig {
  @IsString() @IsNotEmpty() host = '0.0.0.0';
  @IsInt() @Min(0) @Max(65535) port = 8000;
  /** Processes to run with Node cluster; the file store forces 1. */
  @IsInt() @Min(1) @Max(256) workers = 1;
  /** Request timeout in seconds. */
  @IsInt() @Min(1) @Max(3600) timeout = 30;
  @IsInt() @Min(1) @Max(1024 * 1024) body_limit_kb = 1024;
  @IsInt() @Min(0) @Max(3600) shutdown_grace_seconds = 10;
}

export class SecurityConfig {
  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name' })
  jwt_secret_env_var = 'ORCHESTRATOR_JWT_SECRET';
  @IsInt() @Min(10) @Max(31_536_000) token_expiry_seconds = 7200;
  @IsBoolean() require_token_rotation = true;
  /** Longest a chain of refreshed access tokens may live, counted from the first token. */
  @IsInt() @Min(60) @Max(315_360_000) max_token_age_seconds = 604_800;
  /** Requests per minute per subject; 0 turns rate limiting off. */
  @IsInt() @Min(0) @Max(1_000_000) rate_limit_per_minute = 0;
  /** Refused credentials per minute per source address before 429; 0 turns this limit off. */
  @IsInt() @Min(0) @Max(1_000_000) auth_failure_rate_per_minute = 60;
  /** Refused credentials of one source in this window beyond the burst become one audit entry. */
  @IsInt() @Min(1) @Max(86_400) auth_failure_window_seconds = 60;
  /** Refused credentials per source and window written one by one before counting starts. */
  @IsInt() @Min(0) @Max(1000) auth_failure_audit_burst = 5;
}

export const STATE_BACKENDS = ['file', 'memory', 'postgres'] as const;
export class StateConfig {
  @IsIn(STATE_BACKENDS) backend: (typeof STATE_BACKENDS)[number] = 'file';
  @IsString() @IsNotEmpty() state_file = '.orchestrator/state.json';
  @IsBoolean() auto_save = true;
  /** Seconds between snapshot checkpoints. */
  @IsInt() @Min(1) @Max(86_400) checkpoint_interval = 60;
}

export class EventConfig {
  @IsInt() @Min(1) @Max(10_000_000) max_history = 1000;
  @IsBoolean() enable_event_persistence = false;
  @IsString() @IsNotEmpty() event_persistence_file = '.orchestrator/events.jsonl';
  /** Unread bytes an SSE subscriber may have queued before it is dropped (it resumes with Last-Event-ID). */
  @IsInt() @Min(1) @Max(1_048_576) sse_max_buffered_kb = 1024;
}

export class AuditConfig {
  @IsString() @IsNotEmpty() audit_file = '.orchestrator/audit.jsonl';
  @IsInt() @Min(1) @Max(1_000_000_000) max_entries = 100_000;
  @IsBoolean() auto_rotate = true;
  @IsInt() @Min(1) @Max(1_000_000) rotate_size_mb = 100;
  @IsInt() @Min(1) @Max(100_000) retain_files = 10;
  /** fdatasync before acknowledging; off only to measure the cost of durability. */
  @IsBoolean() fsync = true;
  /** Ed25519 private key (PEM) signing checkpoints; unset: generated in the state directory. */
  @IsOptional() @IsString() @IsNotEmpty() signing_key_file: string | null = null;
  /** Its public key (PEM), for `audit verify` where the private key is not readable. */
  @IsOptional() @IsString() @IsNotEmpty() public_key_file: string | null = null;
  /** Public keys (PEM) of earlier signing keys: their checkpoints stay verifiable after a key change. */
  @IsArray()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  previous_public_key_files: string[] = [];
  /** Sign a checkpoint after this many entries… */
  @IsInt() @Min(1) @Max(1_000_000) checkpoint_every_entries = 1000;
  /** …or this many seconds after the first entry not yet signed, whichever comes first. */
  @IsInt() @Min(1) @Max(86_400) checkpoint_interval_seconds = 10;
  /** Start despite a lost or overtaken anchor, recording an `audit.reanchor` entry; for one start. */
  @IsBoolean() accept_anchor_loss = false;
}

export const LOG_LEVELS = [
  'TRACE',
  'DEBUG',
  'INFO',
  'WARNING',
  'WARN',
  'ERROR',
  'CRITICAL',
  'FATAL',
  'SILENT',
] as const;
export class LoggingConfig {
  @IsIn(LOG_LEVELS) level: (typeof LOG_LEVELS)[number] = 'INFO';
  @IsIn(['json', 'text']) format: 'json' | 'text' = 'json';
  @IsBoolean() console = true;
  @IsOptional() @IsString() @IsNotEmpty() file: string | null = null;
}

export class WorkflowConfig {
  /** A workflow file, or a directory of them. */
  @IsString() @IsNotEmpty() path = 'workflows/agent_workflow.yaml';
  /** Name of the default workflow when `path` holds several. */
  @IsOptional() @IsString() @IsNotEmpty() default: string | null = null;
}

export const SANDBOX_MODES = ['bubblewrap', 'none'] as const;
export class ToolsConfig {
  @IsString() @IsNotEmpty() workspace_root = '.orchestrator/workspace';
  @IsBoolean() execution_enabled = true;
  @IsInt() @Min(1) @Max(86_400) command_timeout_seconds = 60;
  @IsInt() @Min(1) @Max(1_048_576) max_output_kb = 256;
  /** Commands running at once on this server, and per agent; more are refused with 429. */
  @IsInt() @Min(1) @Max(10_000) max_concurrent_commands = 8;
  @IsInt() @Min(1) @Max(10_000) max_concurrent_commands_per_agent = 2;
  /** Where commands run; `none` runs them unconfined, as the server user (logged loudly). */
  @IsIn(SANDBOX_MODES) sandbox: (typeof SANDBOX_MODES)[number] = 'bubblewrap';
  /** Network for every command; else only where a workflow tool constraint sets `network: true`. */
  @IsBoolean() sandbox_network = false;
  /** Processes and threads per command. */
  @IsInt() @Min(16) @Max(100_000) sandbox_max_processes = 256;
  @IsInt() @Min(64) @Max(1_048_576) sandbox_memory_mb = 4096;
  @IsInt() @Min(1) @Max(86_400) sandbox_cpu_seconds = 600;
  @IsInt() @Min(1) @Max(1_048_576) sandbox_max_file_mb = 1024;
  @IsInt() @Min(64) @Max(1_048_576) sandbox_max_open_files = 4096;
  @IsInt() @Min(1) @Max(1_048_576) sandbox_tmp_mb = 512;
  /** Host paths commands see read-only besides the system directories (toolchains in /opt…). */
  @IsArray()
  @Matches(/^\/[^,]*$/, { each: true, message: 'must list absolute paths' })
  sandbox_read_only_paths: string[] = [];
}

export class TasksConfig {
  @IsInt() @Min(5) @Max(86_400) lease_seconds = 300;
  @IsInt() @Min(1) @Max(1000) max_attempts = 3;
  @IsInt() @Min(0) @Max(86_400) retry_backoff_seconds = 30;
}

/** PostgreSQL connection settings, per process (used by `orchestrator db`; the backend is issue 17). */
export class DatabaseConfig {
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
  url: string | null = null;
  /** Base connections of one process's pool (SQLAlchemy's meaning, as in the deployment guide). */
  @IsInt() @Min(1) @Max(1000) pool_size = 5;
  /** Extra connections one process may open under a burst, closed again when idle. */
  @IsInt() @Min(0) @Max(1000) max_overflow = 10;
  /** Seconds a request waits for a free connection before it fails. */
  @IsInt() @Min(1) @Max(3600) pool_timeout = 30;
  /** Schema that holds every table; created by the migrations. */
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lower-case SQL identifier (a-z, 0-9, _)' })
  schema = 'orchestrator';
  /** A direct (session) connection for LISTEN and leader election, for pools behind PgBouncer. */
  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
  listen_url: string | null = null;
  /** Longest one statement may run; 0 turns the limit off. */
  @IsInt() @Min(0) @Max(3_600_000) statement_timeout_ms = 10_000;
  /** Apply pending migrations when the server starts (else start refuses a database that is behind). */
  @IsBoolean() migrate_on_start = true;
}

export class OrchestratorConfig {
  @ValidateNested() @Type(() => ServerConfig) server = new ServerConfig();
  @ValidateNested() @Type(() => SecurityConfig) security = new SecurityConfig();
  @ValidateNested() @Type(() => StateConfig) state = new StateConfig();
  @ValidateNested() @Type(() => EventConfig) event = new EventConfig();
  @ValidateNested() @Type(() => AuditConfig) audit = new AuditConfig();
  @ValidateNested() @Type(() => LoggingConfig) logging = new LoggingConfig();
  @ValidateNested() @Type(() => WorkflowConfig) workflow = new WorkflowConfig();
  @ValidateNested() @Type(() => ToolsConfig) tools = new ToolsConfig();
  @ValidateNested() @Type(() => TasksConfig) tasks = new TasksConfig();
  @ValidateNested() @Type(() => DatabaseConfig) database = new DatabaseConfig();
}

export type ConfigSection = keyof OrchestratorConfig;
