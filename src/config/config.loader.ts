import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateSync, type ValidationError } from 'class-validator';
import { parseDocument } from 'yaml';
import { AppConfig, type ValueSource } from './app-config.js';
import { ConfigError } from './config.error.js';
import { OrchestratorConfig } from './config.schema.js';
import { collectEnvAssignments } from './env-overrides.js';
import { closest } from '../common/domain/closest.js';

export const SYSTEM_CONFIG_PATH = '/etc/orchestrator/orchestrator.yaml';

export interface ConfigLoadOptions {
  /** `--config PATH` from the command line. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Overridable for tests; defaults to /etc/orchestrator/orchestrator.yaml. */
  systemConfigPath?: string;
}

type Section = Record<string, unknown>;

/**
 * Builds the effective config: defaults, then the config file, then env variables.
 * Throws ConfigError (one line: key, value, source) for anything it cannot accept.
 */
export function loadConfig(options: ConfigLoadOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const config = new OrchestratorConfig();
  const sections = config as unknown as Record<string, Section>;
  const sources: Record<string, ValueSource> = {};

  const file = locateConfigFile(options, env, cwd);
  if (file) {
    applyFile(file.path, file.how, sections, sources);
  }

  const secretVars = new Set([
    'ORCHESTRATOR_CONFIG',
    'ORCHESTRATOR_JWT_SECRET',
    'ORCHESTRATOR_JWT_SECRET_PREVIOUS',
    config.security.jwt_secret_env_var,
    `${config.security.jwt_secret_env_var}_PREVIOUS`,
  ]);
  for (const { key, raw, envName } of collectEnvAssignments(env, Object.keys(sections), secretVars)) {
    const [section, name] = splitKey(key);
    const source = `env ${envName}`;
    if (!Object.hasOwn(sections[section], name)) {
      throw unknownKey(
        key,
        raw,
        source,
        Object.keys(sections[section]).map((k) => `${section}.${k}`),
      );
    }
    sections[section][name] = coerceEnv(key, raw, source, defaultsOf(section)[name]);
    sources[key] = source;
  }

  normalise(config);
  validate(config, sources);
  return new AppConfig(config, sources, file?.path ?? null, cwd);
}

function locateConfigFile(
  options: ConfigLoadOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
): { path: string; how: string } | null {
  if (options.configPath) return { path: resolve(cwd, options.configPath), how: '--config' };
  if (env.ORCHESTRATOR_CONFIG)
    return { path: resolve(cwd, env.ORCHESTRATOR_CONFIG), how: 'ORCHESTRATOR_CONFIG' };
  const local = resolve(cwd, 'orchestrator.yaml');
  if (existsSync(local)) return { path: local, how: 'working directory' };
  const system = options.systemConfigPath ?? SYSTEM_CONFIG_PATH;
  if (existsSync(system)) return { path: system, how: 'system default' };
  return null;
}

function applyFile(
  path: string,
  how: string,
  sections: Record<string, Section>,
  sources: Record<string, ValueSource>,
): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`config file ${path} (named by ${how}) cannot be read: ${code}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const where = first.linePos?.[0]
      ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}`
      : 'unknown position';
    const reason = first.message.split('\n')[0];
    throw new ConfigError(`config file ${path} is not valid YAML at ${where}: ${reason}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return;
  const source = `file ${path}`;
  if (!isPlainObject(data)) {
    throw new ConfigError(
      `config file ${path} must be a mapping of sections (server, security, …), got ${typeName(data)}`,
    );
  }
  for (const [section, body] of Object.entries(data)) {
    if (!Object.hasOwn(sections, section)) {
      throw unknownKey(section, body, source, Object.keys(sections));
    }
    if (body === null) continue;
    if (!isPlainObject(body)) {
      throw ConfigError.forKey(section, body, source, `must be a mapping of keys, got ${typeName(body)}`);
    }
    for (const [name, value] of Object.entries(body)) {
      const key = `${section}.${name}`;
      if (!Object.hasOwn(sections[section], name)) {
        throw unknownKey(
          key,
          value,
          source,
          Object.keys(sections[section]).map((k) => `${section}.${k}`),
        );
      }
      sections[section][name] = value;
      sources[key] = source;
    }
  }
}

const DEFAULTS = new OrchestratorConfig() as unknown as Record<string, Section>;
function defaultsOf(section: string): Section {
  return DEFAULTS[section];
}

/** Env values are strings; the default's type says what the key holds. */
function coerceEnv(key: string, raw: string, source: string, fallback: unknown): unknown {
  const text = raw.trim();
  if (typeof fallback === 'number') {
    if (!/^[-+]?\d+(\.\d+)?$/.test(text)) throw ConfigError.forKey(key, raw, source, 'must be a number');
    return Number(text);
  }
  if (typeof fallback === 'boolean') {
    const lowered = text.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
    if (['false', '0', 'no', 'off'].includes(lowered)) return false;
    throw ConfigError.forKey(key, raw, source, 'must be a boolean (true/false)');
  }
  if (fallback === null && text === '') return null;
  // Lists: comma-separated (the only list keys hold paths, which need no commas).
  if (Array.isArray(fallback)) return text === '' ? [] : text.split(',').map((item) => item.trim());
  return raw;
}

function normalise(config: OrchestratorConfig): void {
  const level: unknown = config.logging.level;
  if (typeof level === 'string') config.logging.level = level.toUpperCase() as typeof config.logging.level;
}

function validate(config: OrchestratorConfig, sources: Record<string, ValueSource>): void {
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length === 0) return;
  const { path, error } = firstLeaf(errors[0], []);
  const key = path.join('.');
  const constraints = error.constraints ?? {};
  // A wrong type explains more than the range check that also fails on it.
  const typeCheck = TYPE_CONSTRAINTS.find((name) => name in constraints);
  const constraint = (typeCheck ? constraints[typeCheck] : Object.values(constraints)[0]) ?? 'is invalid';
  const reason = constraint.startsWith(`${error.property} `)
    ? constraint.slice(error.property.length + 1)
    : constraint;
  throw ConfigError.forKey(key, error.value, describeSource(sources[key]), reason);
}

const TYPE_CONSTRAINTS = ['isInt', 'isBoolean', 'isString', 'isNotEmpty', 'isIn', 'isArray'];

function firstLeaf(error: ValidationError, path: string[]): { path: string[]; error: ValidationError } {
  const here = [...path, error.property];
  if (error.children && error.children.length > 0 && !error.constraints)
    return firstLeaf(error.children[0], here);
  return { path: here, error };
}

function describeSource(source: ValueSource | undefined): string {
  return source ?? 'default';
}

function unknownKey(key: string, value: unknown, source: string, known: string[]): ConfigError {
  const suggestion = closest(key, known);
  const hint = suggestion ? `did you mean "${suggestion}"?` : `known keys: ${known.join(', ')}`;
  return ConfigError.forKey(key, value, source, `unknown key; ${hint}`);
}

function splitKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return `a ${typeof value}`;
}
