import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CLI, tempDir } from './server-process.js';

/**
 * The real tools the deployment checks run on the files users copy (no Docker engine or cluster
 * in CI): nginx -t, kubectl kustomize, docker-compose config and the server's own `config show`.
 */
export const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');

export interface ToolResult {
  code: number;
  stdout: string;
  output: string;
}

/** Runs a tool; a missing binary fails loudly with what to install. */
export function runTool(
  cmd: string,
  args: string[],
  install: string,
  options: { cwd?: string; env?: Record<string, string> } = {},
): ToolResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${cmd} is not installed: ${install} (scripts/ensure-test-deps.sh)`);
  }
  return { code: r.status ?? -1, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}

/**
 * `nginx -t` on a site (http-context file) with a test certificate and unprivileged listen
 * addresses: only those change, nothing binds during -t. Upstream host names must already be
 * loopback addresses (nginx resolves them during -t).
 */
export function nginxTestSite(site: string): ToolResult & { testSite: string } {
  const dir = tempDir();
  const key = join(dir, 'tls.key');
  const crt = join(dir, 'tls.crt');
  const cert = runTool(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    'apt-get install openssl',
  );
  if (cert.code !== 0) throw new Error(`openssl: ${cert.output}`);
  const testSite = site
    .replace('/etc/ssl/certs/orchestrator.crt', crt)
    .replace('/etc/ssl/private/orchestrator.key', key)
    .replace('listen 80;', 'listen 127.0.0.1:18080;')
    .replace('listen 443 ssl http2;', 'listen 127.0.0.1:18443 ssl http2;')
    .replace('listen 8000;', 'listen 127.0.0.1:18000;');
  writeFileSync(join(dir, 'site.conf'), testSite);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events {}',
      'http {',
      `  access_log off;`,
      `  client_body_temp_path ${dir}/body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  include ${dir}/site.conf;`,
      '}',
    ].join('\n'),
  );
  const r = runTool(
    'nginx',
    ['-t', '-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', join(dir, 'nginx.conf')],
    'apt-get install nginx',
  );
  return { ...r, testSite };
}

export type Manifest = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
};

/** What `kubectl apply -k DIR` would send, rendered by kubectl's own kustomize. */
export function kustomize(dir: string): Manifest[] {
  const r = runTool('kubectl', ['kustomize', join(ROOT, dir)], 'kubectl >= 1.21 (kustomize v4 or newer)');
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.output}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Manifest);
}

/** The effective value of every key, as `orchestrator config show --json` prints it. */
export function configShow(config: string | null, env: Record<string, string>): Record<string, unknown> {
  const dir = tempDir();
  const args = [CLI, 'config', 'show', '--json'];
  if (config !== null) {
    writeFileSync(join(dir, 'orchestrator.yaml'), config);
    args.push('--config', join(dir, 'orchestrator.yaml'));
  }
  const r = spawnSync(process.execPath, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  if (r.status !== 0 || r.stderr !== '') throw new Error(`config show exited ${r.status}: ${r.stderr}`);
  const rows = (JSON.parse(r.stdout) as { values: Array<{ key: string; value: unknown }> }).values;
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}
