import { hookHeaderFile, hookHeaderLines } from './hook-header-file.js';

describe('the curl hook header file', () => {
  it('sits beside the token file', () => {
    expect(hookHeaderFile('/p/.orchestrator/phase-token.json')).toBe(
      '/p/.orchestrator/phase-token.json.headers',
    );
  });

  it('holds the access token, the phase token and the JSON content type, one header per line', () => {
    expect(hookHeaderLines('a.b.c', 'd.e.f')).toBe(
      'Authorization: Bearer a.b.c\nX-Phase-Token: d.e.f\nContent-Type: application/json\n',
    );
  });

  it('refuses a token that would add a header of its own', () => {
    expect(() => hookHeaderLines('a\r\nX-Evil: 1', 'p')).toThrow(/control character/);
    expect(() => hookHeaderLines('a', 'p\nX-Evil: 1')).toThrow(/control character/);
  });
});
