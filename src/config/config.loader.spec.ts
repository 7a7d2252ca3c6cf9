import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.loader.js';
import { ConfigError } from './config.error.js';

function dirWith(yaml?: string, name = 'orchestrator.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'orch-config-'));
  if (yaml !== undefined) writeFileSync(join(dir, name), yaml);
  return dir;
}

const load = (cwd: string, env: NodeJS.ProcessEnv = {}, configPath?: string) =>
  loadConfig({ cwd, env, configPath, systemConfigPath: join(cwd, 'no-system.yaml') });

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig precedence: env > file > default', () => {
  it('uses the guide defaults with no file and no env', () => {
    const config = load(dirWith());
    expect(config.file).toBeNull();
    expect(config.values.server).toMatchObject({ host: '0.0.0.0', port: 8000, workers: 1, timeout: 30 });
    expect(config.values.security).toMatchObject({
      token_expiry_seconds: 7200,
      require_token_rotation: true,
    });
    expect(config.values.state).toMatchObject({
      state_file: '.orchestrator/state.json',
      auto_save: true,
      checkpoint_interval: 60,
    });
    expect(config.values.event).toMatchObject({ max_history: 1000, enable_event_persistence: false });
    expect(config.values.audit).toMatchObject({
      audit_file: '.orchestrator/audit.jsonl',
      max_entries: 100000,
      rotate_size_mb: 100,
    });
    expect(config.values.logging).toMatchObject({ level: 'INFO', format: 'json', console: true, file: null });
    expect(config.sourceOf('server.port')).toBe('default');
  });

  it('file values override defaults and remember the file', () => {
    const dir = dirWith('server:\n  port: 9100\n  workers: 4\nlogging:\n  level: debug\n');
    const config = load(dir);
    expect(config.values.server.port).toBe(9100);
    expect(config.values.logging.level).toBe('DEBUG');
    expect(config.sourceOf('server.port')).toBe(`file ${join(dir, 'orchestrator.yaml')}`);
    expect(config.sourceOf('server.host')).toBe('default');
  });

  it('long-form env variables override the file, with types coerced', () => {
    const dir = dirWith('server:\n  port: 9100\nsecurity:\n  require_token_rotation: true\n');
    const config = load(dir, {
      ORCHESTRATOR_SERVER_PORT: '9200',
      ORCHESTRATOR_SECURITY_REQUIRE_TOKEN_ROTATION: 'false',
      ORCHESTRATOR_SECURITY_TOKEN_EXPIRY_SECONDS: '3600',
    });
    expect(config.values.server.port).toBe(9200);
    expect(config.values.security.require_token_rotation).toBe(false);
    expect(config.values.security.token_expiry_seconds).toBe(3600);
    expect(config.sourceOf('server.port')).toBe('env ORCHESTRATOR_SERVER_PORT');
  });

  it("the guide's short forms map to their keys", () => {
    const config = load(dirWith('logging:\n  level: ERROR\n'), {
      ORCHESTRATOR_LOG_LEVEL: 'warning',
      ORCHESTRATOR_LOG_FILE: '/var/log/orchestrator/api.log',
      ORCHESTRATOR_STATE_FILE: '/var/lib/orchestrator/state.json',
      ORCHESTRATOR_AUDIT_FILE: '/var/log/orchestrator/audit.jsonl',
      ORCHESTRATOR_WORKFLOW_FILE: '/etc/orchestrator/workflows',
    });
    expect(config.values.logging.level).toBe('WARNING');
    expect(config.values.logging.file).toBe('/var/log/orchestrator/api.log');
    expect(config.values.state.state_file).toBe('/var/lib/orchestrator/state.json');
    expect(config.values.audit.audit_file).toBe('/var/log/orchestrator/audit.jsonl');
    expect(config.values.workflow.path).toBe('/etc/orchestrator/workflows');
    expect(config.sourceOf('logging.level')).toBe('env ORCHESTRATOR_LOG_LEVEL');
  });

  it('the long form wins over the short form for the same key', () => {
    const config = load(dirWith(), {
      ORCHESTRATOR_STATE_FILE: 'short.json',
      ORCHESTRATOR_STATE_STATE_FILE: 'long.json',
    });
    expect(config.values.state.state_file).toBe('long.json');
  });

  it('ignores ORCHESTRATOR_* variables that are not config keys (client settings, the secret)', () => {
    const config = load(dirWith(), {
      ORCHESTRATOR_URL: 'http://x',
      ORCHESTRATOR_TOKEN_FILE: '/tmp/t',
      ORCHESTRATOR_JWT_SECRET: 'x'.repeat(40),
    });
    expect(config.values.server.port).toBe(8000);
  });

  it('an empty env value clears a nullable key', () => {
    const config = load(dirWith('logging:\n  file: app.log\n'), { ORCHESTRATOR_LOGGING_FILE: '' });
    expect(config.values.logging.file).toBeNull();
  });
});

describe('loadConfig file lookup', () => {
  it('--config beats ORCHESTRATOR_CONFIG, which beats ./orchestrator.yaml', () => {
    const dir = dirWith('server:\n  port: 1001\n');
    writeFileSync(join(dir, 'env.yaml'), 'server:\n  port: 1002\n');
    writeFileSync(join(dir, 'flag.yaml'), 'server:\n  port: 1003\n');
    expect(load(dir).values.server.port).toBe(1001);
    expect(load(dir, { ORCHESTRATOR_CONFIG: 'env.yaml' }).values.server.port).toBe(1002);
    expect(load(dir, { ORCHESTRATOR_CONFIG: 'env.yaml' }, 'flag.yaml').values.server.port).toBe(1003);
  });

  it('falls back to the system config path', () => {
    const dir = dirWith();
    const system = join(dir, 'system.yaml');
    writeFileSync(system, 'server:\n  port: 1004\n');
    const config = loadConfig({ cwd: dir, env: {}, systemConfigPath: system });
    expect(config.values.server.port).toBe(1004);
    expect(config.file).toBe(system);
  });

  it('an empty file means defaults', () => {
    expect(load(dirWith('')).values.server.port).toBe(8000);
  });

  it("accepts the deployment guide's production config as written", () => {
    const guide = `server:\n  host: "0.0.0.0"\n  port: 8000\n  workers: 8\n  timeout: 60\nsecurity:\n  jwt_secret_env_var: "ORCHESTRATOR_JWT_SECRET"\n  token_expiry_seconds: 7200\n  require_token_rotation: true\nstate:\n  state_file: "/var/lib/orchestrator/state.json"\n  auto_save: true\n  checkpoint_interval: 60\nevent:\n  max_history: 1000\n  enable_event_persistence: false\naudit:\n  audit_file: "/var/log/orchestrator/audit.jsonl"\n  max_entries: 1000000\n  auto_rotate: true\n  rotate_size_mb: 500\nlogging:\n  level: "INFO"\n  format: "json"\n  file: "/var/log/orchestrator/api.log"\n  console: false\ndatabase:\n  pool_size: 20\n  max_overflow: 10\n  pool_timeout: 30\n`;
    const config = load(dirWith(guide));
    expect(config.values.audit.max_entries).toBe(1_000_000);
    expect(config.values.logging.console).toBe(false);
  });
});

describe('loadConfig refusals name key, value and source', () => {
  it('unknown section', () => {
    const dir = dirWith('sever:\n  port: 1\n');
    expect(errorOf(() => load(dir)).message).toBe(
      `invalid config sever={"port":1} (from file ${join(dir, 'orchestrator.yaml')}): unknown key; did you mean "server"?`,
    );
  });

  it('unknown key in a known section from env', () => {
    expect(errorOf(() => load(dirWith(), { ORCHESTRATOR_SERVER_PROT: '1' })).message).toBe(
      'invalid config server.prot="1" (from env ORCHESTRATOR_SERVER_PROT): unknown key; did you mean "server.port"?',
    );
  });

  it('wrong type in the file', () => {
    expect(errorOf(() => load(dirWith('state:\n  auto_save: "sometimes"\n'))).message).toMatch(
      /^invalid config state\.auto_save="sometimes" \(from file .*\): must be a boolean value$/,
    );
  });

  it('a section that is not a mapping', () => {
    expect(errorOf(() => load(dirWith('server: 8000\n'))).message).toMatch(
      /server=8000 .*must be a mapping of keys, got a number/,
    );
  });

  it('out of range and misspelled enum values', () => {
    expect(errorOf(() => load(dirWith(), { ORCHESTRATOR_SERVER_WORKERS: '0' })).message).toBe(
      'invalid config server.workers=0 (from env ORCHESTRATOR_SERVER_WORKERS): must not be less than 1',
    );
    expect(errorOf(() => load(dirWith('logging:\n  format: xml\n'))).message).toMatch(
      /logging\.format="xml" .*must be one of the following values: json, text/,
    );
    expect(errorOf(() => load(dirWith(), { ORCHESTRATOR_LOG_LEVEL: 'LOUD' })).message).toMatch(
      /logging\.level="LOUD" \(from env ORCHESTRATOR_LOG_LEVEL\)/,
    );
  });

  it('non-numeric env for a number', () => {
    expect(errorOf(() => load(dirWith(), { ORCHESTRATOR_SERVER_PORT: '80a' })).message).toBe(
      'invalid config server.port="80a" (from env ORCHESTRATOR_SERVER_PORT): must be a number',
    );
  });

  it('a fractional value for an integer key', () => {
    expect(errorOf(() => load(dirWith(), { ORCHESTRATOR_SERVER_PORT: '80.5' })).message).toContain(
      'must be an integer number',
    );
  });

  it('invalid YAML, with line and column', () => {
    expect(errorOf(() => load(dirWith('server:\n  port: 1\n port: 2\n'))).message).toMatch(
      /is not valid YAML at line \d+, column \d+/,
    );
  });

  it('a duplicate key is invalid YAML', () => {
    expect(errorOf(() => load(dirWith('server:\n  port: 1\n  port: 2\n'))).message).toMatch(/not valid YAML/);
  });

  it('a top level that is not a mapping', () => {
    expect(errorOf(() => load(dirWith('- a\n- b\n'))).message).toMatch(/must be a mapping of sections/);
  });

  it('an explicit config path that does not exist', () => {
    const dir = dirWith();
    expect(errorOf(() => load(dir, {}, 'missing.yaml')).message).toBe(
      `config file ${join(dir, 'missing.yaml')} (named by --config) cannot be read: ENOENT`,
    );
  });

  it('exits with code 2', () => {
    expect(errorOf(() => load(dirWith('x: 1\n'))).exitCode).toBe(2);
  });
});

describe('list keys (tools.sandbox_read_only_paths)', () => {
  it('reads a YAML list, or a comma-separated env value', () => {
    const fromFile = load(dirWith('tools:\n  sandbox_read_only_paths: [/opt/node, /srv/tools]\n'));
    expect(fromFile.values.tools.sandbox_read_only_paths).toEqual(['/opt/node', '/srv/tools']);
    const fromEnv = load(dirWith(), { ORCHESTRATOR_TOOLS_SANDBOX_READ_ONLY_PATHS: '/opt/a, /opt/b' });
    expect(fromEnv.values.tools.sandbox_read_only_paths).toEqual(['/opt/a', '/opt/b']);
    expect(
      load(dirWith(), { ORCHESTRATOR_TOOLS_SANDBOX_READ_ONLY_PATHS: '' }).values.tools
        .sandbox_read_only_paths,
    ).toEqual([]);
  });

  it('refuses relative paths and a value that is not a list, naming key, value and source', () => {
    expect(
      errorOf(() => load(dirWith(), { ORCHESTRATOR_TOOLS_SANDBOX_READ_ONLY_PATHS: 'opt/x' })).message,
    ).toMatch(
      /tools\.sandbox_read_only_paths.*opt\/x.*env ORCHESTRATOR_TOOLS_SANDBOX_READ_ONLY_PATHS.*absolute paths/,
    );
    expect(errorOf(() => load(dirWith('tools:\n  sandbox_read_only_paths: /opt/x\n'))).message).toMatch(
      /tools\.sandbox_read_only_paths.*must be an array/,
    );
  });

  it('refuses an unknown sandbox mode', () => {
    expect(errorOf(() => load(dirWith(), { ORCHESTRATOR_TOOLS_SANDBOX: 'docker' })).message).toMatch(
      /tools\.sandbox.*docker.*bubblewrap, none/,
    );
  });
});

describe('database settings', () => {
  it('reads database.url from ORCHESTRATOR_DATABASE_URL and defaults the rest', () => {
    const config = load(dirWith(), { ORCHESTRATOR_DATABASE_URL: 'postgres://orch:pw@db:5432/app' });
    expect(config.values.database).toMatchObject({
      url: 'postgres://orch:pw@db:5432/app',
      pool_size: 5,
      schema: 'orchestrator',
      listen_url: null,
      statement_timeout_ms: 10_000,
      migrate_on_start: true,
    });
    expect(config.sourceOf('database.url')).toBe('env ORCHESTRATOR_DATABASE_URL');
  });

  it('refuses a URL that is not postgres without printing its password', () => {
    const error = errorOf(() =>
      load(dirWith(), { ORCHESTRATOR_DATABASE_URL: 'mysql://orch:hunter2@db/app' }),
    );
    expect(error.message).toContain('database.url');
    expect(error.message).toContain('postgres://');
    expect(error.message).toContain('orch:[redacted]@db');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses a schema that is not a plain identifier (it is spliced into SQL)', () => {
    const error = errorOf(() => load(dirWith('database:\n  schema: "x; DROP TABLE tasks"\n')));
    expect(error.message).toMatch(/database\.schema=.*lower-case SQL identifier/);
  });
});
