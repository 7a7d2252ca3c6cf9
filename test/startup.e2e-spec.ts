import { createServer, type Server } from 'node:net';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  baseEnv,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  type ServerProcess,
} from './support/server-process.js';

function withConfig(yaml: string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'orchestrator.yaml'), yaml);
  return dir;
}

describe('start-up refusals: exit code 2 and one line naming key, value and source', () => {
  it('an unknown key in the config file', async () => {
    const dir = withConfig('server:\n  prot: 9000\n');
    const r = await runCli(['serve'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('server.prot=9000');
    expect(r.stderr).toContain(`file ${join(dir, 'orchestrator.yaml')}`);
    expect(r.stderr).toContain('did you mean "server.port"');
  });

  it('a wrong type in the config file', async () => {
    const r = await runCli(['serve'], { cwd: withConfig('tasks:\n  lease_seconds: "long"\n') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /tasks\.lease_seconds="long" \(from file .*orchestrator\.yaml\): must be an integer/,
    );
  });

  it('an out-of-range value from an env variable', async () => {
    const r = await runCli(['serve'], { env: baseEnv({ ORCHESTRATOR_SERVER_PORT: '70000' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'server.port=70000 (from env ORCHESTRATOR_SERVER_PORT): must not be greater than 65535',
    );
  });

  it('a value env cannot coerce', async () => {
    const r = await runCli(['serve'], { env: baseEnv({ ORCHESTRATOR_STATE_AUTO_SAVE: 'maybe' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'state.auto_save="maybe" (from env ORCHESTRATOR_STATE_AUTO_SAVE): must be a boolean',
    );
  });

  it('invalid YAML', async () => {
    const dir = withConfig('server:\n  port: [8000\n');
    const r = await runCli(['serve'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config file .*orchestrator\.yaml is not valid YAML at line \d+, column \d+/);
  });

  it('an unreadable config file named by --config', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'a-directory.yaml'));
    const r = await runCli(['serve', '--config', 'a-directory.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `config file ${join(dir, 'a-directory.yaml')} (named by --config) cannot be read: EISDIR`,
    );
  });

  it('a missing file named by ORCHESTRATOR_CONFIG', async () => {
    const r = await runCli(['serve'], { env: baseEnv({ ORCHESTRATOR_CONFIG: '/nonexistent/o.yaml' }) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'config file /nonexistent/o.yaml (named by ORCHESTRATOR_CONFIG) cannot be read: ENOENT',
    );
  });

  it('production without a secret refuses and says how to generate one', async () => {
    const env = baseEnv({ NODE_ENV: 'production' });
    delete env.ORCHESTRATOR_JWT_SECRET;
    const r = await runCli(['serve'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ORCHESTRATOR_JWT_SECRET is not set');
    expect(r.stderr).toContain('openssl rand -hex 32');
  });

  it('production with a short secret refuses', async () => {
    const r = await runCli(['serve'], {
      env: baseEnv({ NODE_ENV: 'production', ORCHESTRATOR_JWT_SECRET: 'short' }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ORCHESTRATOR_JWT_SECRET is too short (5 bytes; at least 32 needed)');
  });

  it('a port already in use names host:port and how to change it', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve'], { env: baseEnv({ ORCHESTRATOR_SERVER_PORT: String(port) }) });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(r.stderr).toContain('ORCHESTRATOR_SERVER_PORT');
    } finally {
      blocker.close();
    }
  });

  it('a state directory that cannot be written names the path, the key and the user', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-dir'), '');
    const r = await runCli(['serve'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_STATE_FILE: 'not-a-dir/state.json' }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `directory ${join(dir, 'not-a-dir')} (from state.state_file, env ORCHESTRATOR_STATE_FILE: "not-a-dir/state.json" relative to the working directory ${dir}) is not writable by user`,
    );
  });

  it('a workspace that cannot be created names tools.workspace_root, its default and the fix', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.orchestrator'), '');
    const r = await runCli(['serve'], {
      cwd: dir,
      env: baseEnv({
        ORCHESTRATOR_STATE_FILE: join(dir, 'state', 'state.json'),
        ORCHESTRATOR_AUDIT_FILE: join(dir, 'audit', 'audit.jsonl'),
      }),
    });
    expect([r.code, r.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(r.stderr).toContain(
      `directory ${join(dir, '.orchestrator', 'workspace')} (from tools.workspace_root, default: ".orchestrator/workspace" relative to the working directory ${dir}) is not writable by user`,
    );
    expect(r.stderr).toContain(
      ': ENOTDIR; fix its ownership/permissions or point tools.workspace_root elsewhere',
    );
  });
});

describe('start-up on defaults', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  it('development without a secret creates .orchestrator/dev-secret (0600) and warns', async () => {
    const env = { ORCHESTRATOR_JWT_SECRET: '' };
    server = await startServer({ env });
    const path = join(server.dir, '.orchestrator', 'dev-secret');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    const warning = server.logs.find((l) => l.level === 'warn' && String(l.msg).includes('dev-secret'));
    expect(warning).toBeDefined();
    expect(JSON.stringify(server.logs)).not.toContain(readFileSync(path, 'utf8').trim());
  });

  it('file values override defaults and env overrides the file, short forms included', async () => {
    server = await startServer({
      configYaml:
        'server:\n  port: 1\nstate:\n  state_file: from-file/state.json\n  checkpoint_interval: 5\n',
      env: { ORCHESTRATOR_STATE_FILE: 'from-env/state.json' },
    });
    const status = (await (await fetch(`${server.url}/`)).json()) as { config_file: string };
    expect(status.config_file).toBe(join(server.dir, 'orchestrator.yaml'));
    const health = (await (await fetch(`${server.url}/health`)).json()) as {
      info: { state_dir: { path: string } };
    };
    expect(health.info.state_dir.path).toBe(join(server.dir, 'from-env'));
  });
});

describe('orchestrator config show', () => {
  it('prints every key with its source and redacts the secret', async () => {
    const dir = withConfig('server:\n  workers: 4\ndatabase:\n  url: postgres://app:hunter2@db/orch\n');
    const r = await runCli(['config', 'show', '--json'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_LOG_LEVEL: 'debug' }),
    });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      file: string;
      values: Array<{ key: string; value: unknown; source: string }>;
    };
    const row = (key: string) => report.values.find((v) => v.key === key);
    expect(row('server.workers')).toEqual({
      key: 'server.workers',
      value: 4,
      source: `file ${join(dir, 'orchestrator.yaml')}`,
    });
    expect(row('logging.level')).toEqual({
      key: 'logging.level',
      value: 'DEBUG',
      source: 'env ORCHESTRATOR_LOG_LEVEL',
    });
    expect(row('server.port')?.source).toBe('env ORCHESTRATOR_SERVER_PORT');
    expect(row('tasks.lease_seconds')?.source).toBe('default');
    expect(row('security.jwt_secret')?.value).toMatch(/redacted/);
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stdout).not.toContain(baseEnv().ORCHESTRATOR_JWT_SECRET);
  });

  it('--version and --help answer', async () => {
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await runCli(['--help']);
    expect(help.stdout).toContain('serve');
    expect(help.stdout).toContain('config');
  });
});
