import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from './support/server-process.js';

/**
 * The Dockerfile's runtime stage, run outside Docker (no engine in CI): the same files, a
 * production-only install, the same ENV and CMD, the HEALTHCHECK command, and SIGTERM, as the
 * image's USER in a WORKDIR it cannot write (root's /app), with only the chowned directories writable.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

function instruction(name: string): string {
  const m = new RegExp(`^${name} (.*)$`, 'm').exec(runtimeStage);
  if (!m) throw new Error(`Dockerfile runtime stage has no ${name}`);
  return m[1];
}

/** `ENV A=1 B=2` with the image's directories mapped into the temp dir. */
function imageEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of instruction('ENV').split(/\s+/)) {
    const [k, v] = pair.split('=');
    env[k] = v
      .replace('/var/lib/orchestrator', join(dir, 'var-lib'))
      .replace('/var/log/orchestrator', join(dir, 'var-log'));
  }
  return env;
}

const execArray = (text: string) => JSON.parse(text) as string[];

/**
 * The image's `USER 1000`. As root (CI) the server runs as uid 1000; as another user, that user,
 * with /app read-only to it: either way the working directory is not writable.
 */
const IMAGE_UID = 1000;
const runAsImageUser = process.getuid?.() === 0 ? { uid: IMAGE_UID, gid: IMAGE_UID } : {};

let app: string;
let installOutput: string;

beforeAll(() => {
  app = tempDir();
  // The runtime stage's COPY lines: node_modules comes from `npm prune --omit=dev`, which a
  // production `npm ci` reproduces without the build.
  for (const path of ['dist', 'package.json', 'package-lock.json', 'workflows']) {
    cpSync(join(ROOT, path), join(app, path), { recursive: true });
  }
  const install = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (install.status !== 0) throw new Error(`npm ci failed: ${install.stdout}${install.stderr}`);
  installOutput = `${install.stdout}${install.stderr}`;
  // `RUN mkdir -p /var/lib/orchestrator /var/log/orchestrator && chown -R 1000:1000 …`
  const chowned = /chown -R 1000:1000 ([^&\n]+)/.exec(runtimeStage)![1].trim().split(/\s+/);
  expect(chowned).toEqual(['/var/lib/orchestrator', '/var/log/orchestrator']);
  for (const dir of ['var-lib', 'var-log']) {
    mkdirSync(join(app, dir));
    if (runAsImageUser.uid !== undefined) chownSync(join(app, dir), IMAGE_UID, IMAGE_UID);
  }
  // /app as COPY leaves it: root's, readable and not writable by the image's user.
  chmodSync(app, 0o555);
}, 300_000);

// The install is ~100 MB: do not leave it in /tmp.
afterAll(() => {
  chmodSync(app, 0o755);
  rmSync(app, { recursive: true, force: true });
});

describe('the Dockerfile runtime stage, outside Docker', () => {
  it('installs bubblewrap, which every tool command runs in', () => {
    expect(runtimeStage).toMatch(/apt-get install -y --no-install-recommends bubblewrap/);
  });

  it('runs as uid 1000 with NODE_ENV=production, exposes 8000 and has a HEALTHCHECK without curl', () => {
    expect(instruction('USER')).toBe('1000');
    expect(instruction('EXPOSE')).toBe('8000');
    expect(imageEnv('/x').NODE_ENV).toBe('production');
    expect(instruction('HEALTHCHECK')).not.toContain('curl');
    expect(dockerfile).toMatch(/^FROM .* AS build$/m);
  });

  it('the production install warns about no engine and runs no install script', () => {
    const warned = [...installOutput.matchAll(/EBADENGINE\s+package: '([^']+)@/g)].map((m) => m[1]);
    expect(warned).toEqual([]);
    expect(installOutput).not.toContain('install-scripts');
  });

  it('starts with a production install only, answers /health, passes the HEALTHCHECK, exits 0 on SIGTERM', async () => {
    const secret = 'ab'.repeat(32);
    const [cmd, ...args] = execArray(instruction('CMD'));
    expect(cmd).toBe('node');
    const child = spawn(process.execPath, args, {
      cwd: app,
      // The image listens on 0.0.0.0:8000; here loopback and a free port (CI runs in parallel).
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        ...imageEnv(app),
        ORCHESTRATOR_JWT_SECRET: secret,
        ORCHESTRATOR_SERVER_HOST: '127.0.0.1',
        ORCHESTRATOR_SERVER_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...runAsImageUser,
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      let out = '';
      const url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /"msg":"listening"[^\n]*"url":"([^"]+)"|"url":"([^"]+)"[^\n]*"msg":"listening"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolveUrl(m[1] ?? m[2]);
          }
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${out}`)));
      });

      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      // The agents' workspace is on the state volume, made by the image's user.
      const workspace = statSync(join(app, 'var-lib', 'workspace'));
      expect(workspace.isDirectory()).toBe(true);
      if (runAsImageUser.uid !== undefined) expect(workspace.uid).toBe(IMAGE_UID);

      // The HEALTHCHECK's exec form, pointed at this server's port instead of 8000.
      const check = execArray(instruction('HEALTHCHECK').replace(/^.*?CMD /, '')).map((a) =>
        a.replace('http://127.0.0.1:8000', url),
      );
      expect(check[0]).toBe('node');
      const probe = spawnSync(process.execPath, check.slice(1), { encoding: 'utf8', timeout: 10_000 });
      expect(probe.status).toBe(0);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('refuses production without a secret: exit 2 and the message', () => {
    const [, ...args] = execArray(instruction('CMD'));
    const r = spawnSync(process.execPath, args, {
      cwd: app,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...imageEnv(app), ORCHESTRATOR_SERVER_PORT: '0' },
      encoding: 'utf8',
      timeout: 20_000,
      ...runAsImageUser,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'orchestrator: ORCHESTRATOR_JWT_SECRET is not set: production (NODE_ENV=production)',
    );
  });
});
