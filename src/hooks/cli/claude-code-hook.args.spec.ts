import { parseHookArgs } from './claude-code-hook.args.js';

describe('parseHookArgs', () => {
  it('reads --token-file, --url and --tool-map, in either form', () => {
    expect(
      parseHookArgs(['--token-file', '/p/t.json', '--url=http://127.0.0.1:8000', '--tool-map', '{}']),
    ).toEqual({ tokenFile: '/p/t.json', url: 'http://127.0.0.1:8000', toolMap: '{}' });
    expect(parseHookArgs([])).toEqual({ tokenFile: undefined, url: undefined, toolMap: undefined });
  });

  it.each([
    [
      ['--token-flie', 'x'],
      /^unknown option '--token-flie' \(the hook takes --token-file, --url and --tool-map\)$/,
    ],
    [['--token-file'], /^option '--token-file <value>' argument missing/],
    [['hook', 'claude-code'], /^unexpected argument 'hook'/],
    [['-t', 'x'], /^unknown option '-t'/],
  ])('refuses %j with one readable sentence', (argv, message) => {
    expect(() => parseHookArgs(argv)).toThrow(message);
  });
});
