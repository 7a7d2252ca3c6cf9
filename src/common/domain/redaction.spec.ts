import { REDACTED, redactSecrets, redactText, redactUrl } from './redaction.js';
import { slowdown } from './testing/linear-time.js';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.abcdefghijk';

describe('redaction', () => {
  it('redacts values under secret-looking keys, deeply', () => {
    expect(
      redactSecrets({
        a: 1,
        phase_token: 'x',
        nested: { password: 'p', api_key: 'k', keep: 'v' },
        list: [{ secret: 's' }],
      }),
    ).toEqual({
      a: 1,
      phase_token: REDACTED,
      nested: { password: REDACTED, api_key: REDACTED, keep: 'v' },
      list: [{ secret: REDACTED }],
    });
  });

  it('redacts JWTs and bearer credentials inside any string', () => {
    expect(redactText(`token was ${JWT} ok`)).toBe(`token was ${REDACTED} ok`);
    expect(redactText('Authorization: Bearer abc.def')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactSecrets({ note: `saw ${JWT}` })).toEqual({ note: `saw ${REDACTED}` });
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('npm test passed')).toBe('npm test passed');
    expect(redactSecrets({ tokens_used: 0 })).toEqual({ tokens_used: 0 });
  });

  it('redacts phase_token query values in URLs', () => {
    expect(redactUrl(`/api/v1/state/snapshot?phase_token=${JWT}&x=1`)).toBe(
      `/api/v1/state/snapshot?phase_token=${REDACTED}&x=1`,
    );
    expect(redactUrl('/health')).toBe('/health');
  });

  it('bounds depth', () => {
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 30; i++) deep = { d: deep };
    expect(JSON.stringify(redactSecrets(deep))).toContain('[too deep]');
  });
});

describe('redaction runs in linear time', () => {
  const size = 64 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const baseline = fill(`Authorization: Bearer abc.def saw ${JWT} ok `);

  it.each([
    ['eyJ repeated (one word)', fill('eyJ')],
    ['eyJ segments without a signature', fill('eyJaaaaaaa.')],
    ['one long base64url word', fill('a')],
    ['bearer with endless spaces', `bearer${' '.repeat(size)}`],
    ['bearer repeated', fill('bearer ')],
  ])('%s: no slower than 50× ordinary text of the same size', (_name, attack) => {
    expect(slowdown(redactText, attack, baseline)).toBeLessThan(50);
  });

  it('finds the same JWTs as the regex it replaces', () => {
    const reference = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
    const alphabet = ['eyJ', 'a', 'b', '.', '-', ' ', '_', 'e', '='];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: 4 + (next() % 40) }, () => alphabet[next() % alphabet.length]).join(
        '',
      );
      expect(redactText(text)).toBe(text.replace(reference, REDACTED));
    }
  });
});
