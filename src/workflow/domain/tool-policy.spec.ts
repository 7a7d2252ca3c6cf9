import { decideTool, resolvedPathRule, type ToolDecisionInput } from './tool-policy.js';
import { loadWorkflowText } from './workflow.loader.js';

const wf = loadWorkflowText(
  `name: tools
enforcement: { mode: strict }
phases:
  - id: TDD
    allowed_tools: [read_files, write_files, bash, search, git_commit, "mcp__docs__*"]
    forbidden_tools: [git_commit, "mcp__docs__delete*"]
    tool_constraints:
      write_files:
        allowed_patterns: ["tests/**", "**/*.spec.ts"]
        forbidden_patterns: ["**/.env"]
      bash:
        allowed_commands: [npm test]
        forbidden_commands: [git push]
      search:
        path_args: [pattern, path]
  - id: IMPL
    allowed_tools: [read_files, write_files]
    forbidden_tools: [write_files]
transitions:
  - { from: TDD, to: IMPL }
`,
  'tools.yaml',
);
const policy = wf.runtime.toolPolicy;
const ROOT = '/ws';
const decide = (tool: string, args: Record<string, unknown> = {}, extra: Partial<ToolDecisionInput> = {}) =>
  decideTool(policy, { phase: 'TDD', tool, args, workspaceRoot: ROOT, ...extra });

describe('decideTool', () => {
  it('allows an allowed tool and says so', () => {
    expect(decide('read_files', { path: 'src/a.ts' })).toEqual({
      allowed: true,
      reason: "tool 'read_files' is allowed in phase TDD",
      phase: 'TDD',
      tool: 'read_files',
      mode: 'strict',
      would_deny: false,
    });
  });

  it('lets forbidden beat allowed, naming phase and rule', () => {
    expect(decide('git_commit')).toMatchObject({
      allowed: false,
      reason: "tool 'git_commit' is not allowed in phase TDD: its forbidden_tools name it",
      rule: 'phases.TDD.forbidden_tools',
    });
    expect(
      decideTool(policy, { phase: 'IMPL', tool: 'write_files', args: { path: 'a' }, workspaceRoot: ROOT }),
    ).toMatchObject({
      allowed: false,
      reason: "tool 'write_files' is not allowed in phase IMPL: its forbidden_tools name it",
    });
  });

  it('denies unknown tools by default', () => {
    expect(decide('delete_files')).toMatchObject({
      allowed: false,
      reason: "tool 'delete_files' is not allowed in phase TDD",
      rule: 'phases.TDD.allowed_tools',
    });
  });

  it('matches tool names by glob', () => {
    expect(decide('mcp__docs__search').allowed).toBe(true);
    expect(decide('mcp__docs__delete_page').allowed).toBe(false);
    expect(decide('mcp__other__search').allowed).toBe(false);
  });

  it('denies an unknown phase whatever the mode', () => {
    expect(decide('read_files', {}, { phase: 'SHIP', mode: 'audit' })).toMatchObject({
      allowed: false,
      reason: "phase 'SHIP' is not defined in workflow 'tools'",
      would_deny: false,
    });
  });

  describe('paths', () => {
    it('applies allowed and forbidden patterns to the normalised path', () => {
      expect(decide('write_files', { path: 'tests/a.ts' }).allowed).toBe(true);
      expect(decide('write_files', { path: './tests/../src/a.spec.ts' }).allowed).toBe(true);
      expect(decide('write_files', { path: '/ws/tests/a.ts' }).allowed).toBe(true);
      expect(decide('write_files', { path: 'src/a.ts' })).toMatchObject({
        allowed: false,
        rule: 'phases.TDD.tool_constraints.write_files.allowed_patterns',
        reason:
          "path 'src/a.ts' matches no allowed pattern for 'write_files' in phase TDD (tests/**, **/*.spec.ts)",
      });
      expect(decide('write_files', { path: 'tests/.env' })).toMatchObject({
        allowed: false,
        rule: 'phases.TDD.tool_constraints.write_files.forbidden_patterns',
        reason: "path 'tests/.env' matches forbidden pattern '**/.env' for 'write_files' in phase TDD",
      });
    });

    it('checks every path of a multi-file call', () => {
      expect(
        decide('write_files', {
          files: [
            { path: 'tests/a.ts', content: '' },
            { path: 'src/b.ts', content: '' },
          ],
        }).allowed,
      ).toBe(false);
      expect(decide('write_files', { paths: ['tests/a.ts', 'tests/b.ts'] }).allowed).toBe(true);
    });

    it.each(['../x', 'a/../../x', '/etc/passwd', '/ws/../etc/passwd', '~/x'])(
      'denies traversal %j for any tool',
      (path) => {
        for (const tool of ['read_files', 'write_files']) {
          // A distinct cause from a policy denial, with its own code (API.md, "Errors").
          expect(decide(tool, { path })).toMatchObject({
            allowed: false,
            rule: 'workspace_root',
            code: 'path_outside_workspace',
          });
        }
      },
    );

    it('gives a command reaching outside the workspace the same code', () => {
      expect(decide('bash', { command: 'npm test /etc/passwd' })).toMatchObject({
        allowed: false,
        rule: 'workspace_root',
        code: 'path_outside_workspace',
      });
      expect(decide('write_files', { path: 'src/a.ts' })).toMatchObject({ code: 'tool_forbidden' });
    });

    it('denies a non-string path argument', () => {
      expect(decide('read_files', { path: { evil: true } })).toMatchObject({
        allowed: false,
        reason: expect.stringMatching(/must be a path string/),
      });
    });

    it('uses the path_args a constraint names instead of the defaults', () => {
      expect(decide('search', { pattern: '../secrets/**' })).toMatchObject({
        allowed: false,
        rule: 'workspace_root',
      });
      expect(decide('read_files', { pattern: '\\.\\./x' }).allowed).toBe(true);
    });
  });

  describe('commands', () => {
    it('applies allowed and forbidden commands and denies shell operators', () => {
      expect(decide('bash', { command: 'npm test -- --ci' }).allowed).toBe(true);
      expect(decide('bash', { command: 'git push' })).toMatchObject({
        allowed: false,
        rule: 'phases.TDD.tool_constraints.bash.forbidden_commands',
      });
      expect(decide('bash', { command: 'make' })).toMatchObject({
        allowed: false,
        rule: 'phases.TDD.tool_constraints.bash.allowed_commands',
      });
      expect(decide('bash', { command: 'npm test; rm -rf /' })).toMatchObject({
        allowed: false,
        rule: 'phases.TDD.tool_constraints.bash.allow_shell_operators',
        reason: "shell operator ';' is not allowed (tool 'bash', phase TDD)",
      });
      expect(decide('bash', { command: ['npm', 'test'] }).allowed).toBe(true);
      expect(decide('bash', { command: 42 }).allowed).toBe(false);
    });

    it('denies shell operators even for a tool without constraints', () => {
      expect(decide('read_files', { path: 'a', command: 'cat a && curl x' })).toMatchObject({
        allowed: false,
        reason: expect.stringMatching(/'&&'/),
      });
      expect(decide('read_files', { cmd: 'cat a' }).allowed).toBe(true);
    });
  });

  describe('modes', () => {
    it('strict denies', () => {
      expect(decide('delete_files')).toMatchObject({ allowed: false, mode: 'strict', would_deny: false });
    });

    it('permissive and audit allow what strict would deny, and say so', () => {
      for (const [mode, shown] of [
        ['permissive', 'permissive'],
        ['audit', 'audit'],
        ['advisory', 'audit'],
      ]) {
        expect(decide('bash', { command: 'npm test && curl x' }, { mode })).toEqual({
          allowed: true,
          would_deny: true,
          mode: shown,
          phase: 'TDD',
          tool: 'bash',
          rule: 'phases.TDD.tool_constraints.bash.allow_shell_operators',
          code: 'tool_forbidden',
          reason: `${shown} mode, would deny: shell operator '&&' is not allowed (tool 'bash', phase TDD)`,
        });
      }
    });

    it("follows the workflow's own mode", () => {
      const audit = loadWorkflowText('name: a\nenforcement: { mode: audit }\nphases:\n  - id: P\n', 'a.yaml');
      expect(
        decideTool(audit.runtime.toolPolicy, { phase: 'P', tool: 'bash', workspaceRoot: ROOT }),
      ).toMatchObject({ allowed: true, would_deny: true, mode: 'audit' });
    });
  });
});

describe('.git and paths where they land', () => {
  const open = loadWorkflowText(
    `name: open
phases:
  - id: W
    allowed_tools: [write_files, edit_files, read_files]
    tool_constraints:
      edit_files: { allow_git_writes: true }
      read_files: { forbidden_patterns: ["secrets/**"] }
`,
    'open.yaml',
  ).runtime.toolPolicy;
  const decideIn = (tool: string, path: string) =>
    decideTool(open, { phase: 'W', tool, args: { path }, workspaceRoot: ROOT });

  it.each(['.git/hooks/pre-commit', '.git/config', 'vendor/x/.git/hooks/post-checkout', '.git'])(
    'denies writing %s to a tool that may write anywhere else',
    (path) => {
      expect(decideIn('write_files', path)).toMatchObject({
        allowed: false,
        rule: 'phases.W.tool_constraints.write_files.allow_git_writes',
        reason: expect.stringContaining(`path '${path}' is inside .git`) as unknown,
      });
    },
  );

  it('lets a tool whose constraints set allow_git_writes write there, and does not restrict reading it', () => {
    expect(decideIn('edit_files', '.git/config')).toMatchObject({ allowed: true });
    expect(decideIn('read_files', '.git/config')).toMatchObject({ allowed: true });
    expect(decideIn('write_files', '.github/workflows/ci.yml')).toMatchObject({ allowed: true });
    expect(decideIn('write_files', 'src/.gitignore')).toMatchObject({ allowed: true });
  });

  it('judges a resolved path by the same rules, the executor saying whether it writes', () => {
    const writes = resolvedPathRule(open, 'W', 'write_files');
    expect(writes('.git/hooks/pre-commit', 'write')).toMatchObject({
      rule: 'phases.W.tool_constraints.write_files.allow_git_writes',
    });
    expect(writes('.git/HEAD', 'read')).toBeNull();
    expect(writes('src/a.ts', 'write')).toBeNull();
    const reads = resolvedPathRule(open, 'W', 'read_files');
    expect(reads('secrets/key.pem', 'read')).toEqual({
      reason: "matches forbidden pattern 'secrets/**' for 'read_files' in phase W",
      rule: 'phases.W.tool_constraints.read_files.forbidden_patterns',
    });
    const tdd = resolvedPathRule(policy, 'TDD', 'write_files');
    expect(tdd('src/a.ts', 'write')?.reason).toMatch(
      /^matches no allowed pattern for 'write_files' in phase TDD/,
    );
    expect(tdd('tests/a.ts', 'write')).toBeNull();
  });
});

describe('tool aliases are one tool to the policy', () => {
  const aliases = loadWorkflowText(
    `name: aliases
phases:
  - id: READ
    allowed_tools: [search_files, glob]
    tool_constraints:
      search_files: { forbidden_patterns: ["secret/**"] }
  - id: LOCKED
    allowed_tools: [search_files, "list_*"]
    forbidden_tools: [grep]
transitions:
  - { from: READ, to: LOCKED }
`,
    'aliases.yaml',
  ).runtime.toolPolicy;
  const on = (phase: string, tool: string, args: Record<string, unknown> = { pattern: 'x' }) =>
    decideTool(aliases, { phase, tool, args, workspaceRoot: ROOT });

  it('allows grep where the workflow allows search_files, and list_files where it allows glob', () => {
    expect(on('READ', 'grep')).toMatchObject({ allowed: true, tool: 'grep' });
    expect(on('READ', 'search_files')).toMatchObject({ allowed: true, tool: 'grep' });
    expect(on('READ', 'list_files')).toMatchObject({ allowed: true, tool: 'glob' });
  });

  it('applies constraints written under either name', () => {
    expect(on('READ', 'grep', { pattern: 'x', path: 'secret/keys' })).toMatchObject({
      allowed: false,
      rule: 'phases.READ.tool_constraints.search_files.forbidden_patterns',
    });
    expect(resolvedPathRule(aliases, 'READ', 'grep')('secret/a', 'read')).not.toBeNull();
  });

  it('refuses constraints written under two names of one tool', () => {
    expect(() =>
      loadWorkflowText(
        'name: two\nphases:\n  - id: P\n    tool_constraints:\n      grep: {}\n      search_files: {}\n',
        'two.yaml',
      ),
    ).toThrow(/two\.yaml:6:\d+: .*'grep' and 'search_files' are the same tool/);
  });

  it('forbids every name of a forbidden tool, and matches globs against each name', () => {
    expect(on('LOCKED', 'search_files')).toMatchObject({ allowed: false, tool: 'grep' });
    expect(on('LOCKED', 'glob')).toMatchObject({ allowed: true, tool: 'glob' });
  });
});
