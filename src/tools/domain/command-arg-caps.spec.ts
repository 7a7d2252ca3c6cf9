import { checkCommandArgs, MAX_COMMAND_CHARS, MAX_COMMAND_WORDS } from './command-arg-caps.js';

describe('checkCommandArgs', () => {
  it('accepts commands up to the caps, and arguments that are not commands', () => {
    expect(() => checkCommandArgs({ command: 'a'.repeat(MAX_COMMAND_CHARS) })).not.toThrow();
    expect(() =>
      checkCommandArgs({ cmd: Array.from({ length: MAX_COMMAND_WORDS }, () => 'w') }),
    ).not.toThrow();
    expect(() => checkCommandArgs({ content: 'a'.repeat(MAX_COMMAND_CHARS + 1) })).not.toThrow();
  });

  it.each([
    ['a long command string', { command: 'a'.repeat(MAX_COMMAND_CHARS + 1) }, 'command'],
    ['a long cmd string', { cmd: 'eyJ'.repeat(60_000) }, 'cmd'],
    ['too many argv words', { command: Array.from({ length: MAX_COMMAND_WORDS + 1 }, () => 'w') }, 'command'],
    ['argv words too long together', { command: ['a'.repeat(60_000), 'b'.repeat(60_000)] }, 'command'],
  ])('refuses %s with invalid_tool_args naming the field', (_name, args, field) => {
    expect(() => checkCommandArgs(args)).toThrow(
      expect.objectContaining({ code: 'invalid_tool_args', details: { field } }) as Error,
    );
  });
});
