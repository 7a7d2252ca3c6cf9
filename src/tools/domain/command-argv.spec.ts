import { toArgv, vetCommand } from './command-argv.js';

describe('command checks for bash', () => {
  it('splits quoted words without expanding anything', () => {
    expect(toArgv(`npx jest 'a b' "c d" e\\ f --ci`)).toEqual(['npx', 'jest', 'a b', 'c d', 'e f', '--ci']);
    expect(toArgv(`echo '$HOME'`)).toEqual(['echo', '$HOME']);
  });

  it.each([
    ['ls *.ts', /glob '\*\.ts' needs a shell/],
    ['a ; b', /operator ';'/],
    ['a | b', /operator '\|'/],
  ])('refuses %j when splitting', (command, message) => {
    expect(() => toArgv(command)).toThrow(message);
  });

  it.each([
    ['npm test; rm -rf /', 'shell_operator_not_allowed'],
    ['a && b', 'shell_operator_not_allowed'],
    ['`id`', 'shell_operator_not_allowed'],
    ['$(id)', 'shell_operator_not_allowed'],
    ['a > /etc/x', 'shell_operator_not_allowed'],
    ['a | b', 'shell_operator_not_allowed'],
    ['echo $HOME;id', 'shell_operator_not_allowed'],
    ["sh -c 'a; b'", 'shell_operator_not_allowed'],
    ['cat /etc/passwd', 'path_outside_workspace'],
    ['cat --file=../../x', 'path_outside_workspace'],
    ["echo 'unbalanced", 'invalid_tool_args'],
    ['   ', 'invalid_tool_args'],
  ])('vets %j without operators as %s', (command, code) => {
    expect(() => vetCommand(command, false, '/ws')).toThrow(expect.objectContaining({ code }));
  });

  it('lets operators through when allowed, but never a path outside', () => {
    expect(() => vetCommand('npm test && npm run lint | tee out.txt', true, '/ws')).not.toThrow();
    expect(() => vetCommand('echo x > /etc/x', true, '/ws')).toThrow(
      expect.objectContaining({ code: 'path_outside_workspace' }),
    );
    expect(() => vetCommand('cat /ws/src/a.ts', false, '/ws')).not.toThrow();
  });
});
