import { CommandSlots } from './command-slots.js';

describe('CommandSlots', () => {
  it('refuses an agent over its share, and the server over its total, with 429 too_many_commands', () => {
    const slots = new CommandSlots(3, 2);
    const a1 = slots.acquire('a');
    slots.acquire('a');
    expect(() => slots.acquire('a')).toThrow(
      expect.objectContaining({
        kind: 'rate_limited',
        code: 'too_many_commands',
        details: { retry_after_seconds: 1 },
      }),
    );
    slots.acquire('b');
    expect(() => slots.acquire('c')).toThrow(/the server already runs 3 commands/);
    a1();
    expect(() => slots.acquire('c')).not.toThrow();
  });

  it('gives a slot back once however often it is released', () => {
    const slots = new CommandSlots(1, 1);
    const release = slots.acquire('a');
    release();
    release();
    slots.acquire('b');
    expect(() => slots.acquire('a')).toThrow(/tools.max_concurrent_commands\)/);
  });
});
