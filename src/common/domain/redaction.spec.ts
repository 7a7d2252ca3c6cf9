import { REDACTED, redactSecrets, redactText, redactUrl } from './redaction.js';

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
