import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeCodeCurlHookCommand, findCurl } from './claude-code-curl-hook.js';

const sh = (command: string) => {
  try {
    return { status: 0, out: execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (error) {
    return { status: (error as { status: number | null }).status, out: '' };
  }
};

describe('claudeCodeCurlHookCommand', () => {
  it('runs curl by absolute path, ignoring ~/.curlrc, failing on a refusal, posting stdin to the hook route', () => {
    expect(
      claudeCodeCurlHookCommand({
        tokenFile: '$CLAUDE_PROJECT_DIR/.orchestrator/phase-token.json',
        url: 'http://127.0.0.1:8000/',
        curl: '/usr/bin/curl',
      }),
    ).toBe(
      '/usr/bin/curl -q -sS --max-time 8 --fail-with-body ' +
        '-H "@$CLAUDE_PROJECT_DIR/.orchestrator/phase-token.json.headers" --data-binary @- ' +
        "'http://127.0.0.1:8000/api/v1/hooks/claude-code/pre-tool-use' || exit 2",
    );
  });

  it('keeps a path prefix of the base URL, as the Node hook does', () => {
    const command = claudeCodeCurlHookCommand({ tokenFile: 't', url: 'https://h/orch/', curl: '/c' });
    expect(command).toContain("'https://h/orch/api/v1/hooks/claude-code/pre-tool-use'");
  });

  it('keeps the token file path and the URL from escaping their quotes', () => {
    const command = claudeCodeCurlHookCommand({
      tokenFile: 'a"; touch /tmp/x; "`id`$(id)',
      url: "http://h/x';id;'",
      curl: '/c',
    });
    const argv = sh(command.replace(/^\/c /, 'printf "%s\\n" ').replace(/ \|\| exit 2$/, '')).out.split('\n');
    expect(argv).toContain('@a"; touch /tmp/x; "`id`$(id).headers');
    expect(argv).toContain("http://h/x';id;'/api/v1/hooks/claude-code/pre-tool-use");
  });

  it('refuses a URL that is not http or https', () => {
    for (const url of ['ftp://h/', 'file:///etc/passwd', 'not a url']) {
      expect(() => claudeCodeCurlHookCommand({ tokenFile: 't', url, curl: '/c' })).toThrow(/http or https/);
    }
  });

  it('exits 2 through the shell when curl is gone', () => {
    const command = claudeCodeCurlHookCommand({ tokenFile: 't', url: 'http://h', curl: '/no/such/curl' });
    expect(sh(command).status).toBe(2);
  });
});

describe('findCurl', () => {
  it('finds the first executable curl on absolute PATH entries only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'find-curl-'));
    try {
      writeFileSync(join(dir, 'curl'), '#!/bin/sh\n');
      expect(findCurl(`relative/bin:${dir}`)).toBeNull();
      chmodSync(join(dir, 'curl'), 0o755);
      expect(findCurl(`relative/bin:/no/such:${dir}`)).toBe(join(dir, 'curl'));
      expect(findCurl('')).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
