import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ServerConfig } from '../src/config/config.schema.js';

/**
 * Issue 15 item 5: docs and examples said port 3000 while the server listens on 8000. Every
 * orchestrator address a doc, example, client or deployment file names must use the configured
 * default port, unless that same file sets another one (`ORCHESTRATOR_SERVER_PORT=9000`).
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const DEFAULT_PORT = new ServerConfig().port;

/** Files a user reads or copies an orchestrator address from (tests and lockfiles are not). */
function userFacingFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  return tracked.filter(
    (path) =>
      !path.startsWith('test/') &&
      !path.endsWith('.spec.ts') &&
      !path.endsWith('package-lock.json') &&
      path !== 'CHANGELOG.md' && // history: it may name the ports it fixed
      (/\.(md|ts|mjs|js|py|ya?ml|conf|json|service|sh)$/.test(path) ||
        /(^|\/)(Dockerfile|\.env\.example)$/.test(path)),
  );
}

/** `host:port` where the host is this machine or an orchestrator service name. */
const ADDRESS =
  /(?:https?:\/\/)?(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]|orchestrator[\w.-]*):(\d{2,5})\b/g;
/** Prose such as "port 3000" or "listens on port 8000". */
const PROSE_PORT = /\bport\s+(\d{2,5})\b/gi;
const OVERRIDE = /ORCHESTRATOR_SERVER_PORT=(\d+)/g;
/** Local services that are not the orchestrator: the PostgreSQL the database tests use. */
const OTHER_SERVICES = new Set([5432]);

function wrongPorts(path: string): string[] {
  const text = readFileSync(join(ROOT, path), 'utf8');
  const allowed = new Set([
    DEFAULT_PORT,
    ...OTHER_SERVICES,
    ...[...text.matchAll(OVERRIDE)].map((m) => Number(m[1])),
  ]);
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const pattern of [ADDRESS, PROSE_PORT]) {
      for (const match of line.matchAll(pattern)) {
        if (!allowed.has(Number(match[1]))) found.push(`${path}:${i + 1}: ${match[0]}`);
      }
    }
  });
  return found;
}

describe('orchestrator addresses in docs, examples and deployment files', () => {
  const files = userFacingFiles();

  it('covers the docs the issue named', () => {
    for (const path of [
      'docs/AGENT_SDK.md',
      'docs/integrations/claude-code.md',
      'examples/agent.ts',
      'README.md',
    ])
      expect(files).toContain(path);
  });

  it(`name port ${DEFAULT_PORT} (the default) or a port the same file sets`, () => {
    expect(files.flatMap(wrongPorts)).toEqual([]);
  });

  it('the rule catches what the issue found', () => {
    const line =
      'ORCHESTRATOR_URL=http://127.0.0.1:3000 npm run example:agent; the server listens on port 3000';
    expect([...line.matchAll(ADDRESS)].map((m) => m[1])).toEqual(['3000']);
    expect([...line.matchAll(PROSE_PORT)].map((m) => m[1])).toEqual(['3000']);
  });
});
