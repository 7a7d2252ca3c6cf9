import { execFileSync } from 'node:child_process';
import { claudeCodeHookCommand, claudeCodeSettings } from './claude-code-settings.js';

describe('claudeCodeHookCommand', () => {
  it('runs node and the hook entry by absolute path, and blocks when either is missing', () => {
    const command = claudeCodeHookCommand({
      tokenFile: '$CLAUDE_PROJECT_DIR/.orchestrator/phase-token.json',
      node: '/opt/node 20/bin/node',
      entry: '/opt/wo/dist/hooks/cli/claude-code-hook.main.js',
    });
    expect(command).toBe(
      "'/opt/node 20/bin/node' /opt/wo/dist/hooks/cli/claude-code-hook.main.js " +
        '--token-file "$CLAUDE_PROJECT_DIR/.orchestrator/phase-token.json" || exit 2',
    );
    expect(command).not.toMatch(/\bnpx\b|npm exec/);
  });

  it('exits 2 through the shell when the Node binary is gone', () => {
    const command = claudeCodeHookCommand({ tokenFile: 'x', node: '/no/such/node', entry: '/no/hook.js' });
    let status: number | null = null;
    try {
      execFileSync('/bin/sh', ['-c', command], { stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number | null }).status;
    }
    expect(status).toBe(2);
  });

  it('keeps a token file path from escaping its quotes', () => {
    const command = claudeCodeHookCommand({ tokenFile: 'a"; rm -rf ~; "`x`', node: '/n', entry: '/m' });
    const argv = execFileSync(
      '/bin/sh',
      ['-c', command.replace(/^\/n \/m/, 'printf "%s\\n"').replace(/ \|\| exit 2$/, '')],
      {
        encoding: 'utf8',
      },
    );
    expect(argv.split('\n')).toEqual(['--token-file', 'a"; rm -rf ~; "`x`', '']);
  });

  it('wraps the command in a PreToolUse hook for every tool', () => {
    expect(claudeCodeSettings({ tokenFile: 't', node: '/n', entry: '/m' })).toEqual({
      hooks: {
        PreToolUse: [
          {
            matcher: '*',
            hooks: [{ type: 'command', command: expect.stringContaining('/n /m --token-file'), timeout: 10 }],
          },
        ],
      },
    });
  });
});
