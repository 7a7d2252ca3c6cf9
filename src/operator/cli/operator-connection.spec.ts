import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliUsageError } from './operator-cli.errors.js';
import { resolveConnection } from './operator-connection.js';

describe('resolveConnection', () => {
  const env = { ORCHESTRATOR_URL: 'http://127.0.0.1:8000/', ORCHESTRATOR_TOKEN: 'tok.en.value' };

  it('takes --url over ORCHESTRATOR_URL and the token from ORCHESTRATOR_TOKEN', () => {
    expect(resolveConnection({}, env)).toEqual({
      url: 'http://127.0.0.1:8000',
      token: 'tok.en.value',
      tokenSource: 'ORCHESTRATOR_TOKEN',
    });
    expect(resolveConnection({ url: 'https://orch.example/base/' }, env).url).toBe(
      'https://orch.example/base',
    );
  });

  it('reads --token-file (trimmed) instead of the environment', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'opscli-')), 'token');
    writeFileSync(file, 'from.the.file\n');
    expect(resolveConnection({ tokenFile: file }, env)).toMatchObject({
      token: 'from.the.file',
      tokenSource: `--token-file ${file}`,
    });
  });

  it.each([
    [{}, { ORCHESTRATOR_TOKEN: 't' }, 'no server given'],
    [{ url: 'not a url' }, env, 'not a URL'],
    [{ url: 'ftp://host' }, env, 'must be http:// or https://'],
    [{ url: 'http://user:pw@host' }, env, 'must not carry credentials'],
    [{}, { ORCHESTRATOR_URL: 'http://h' }, 'no token given'],
    [
      {},
      { ORCHESTRATOR_URL: 'http://h', ORCHESTRATOR_TOKEN: 'two words' },
      'characters a header cannot carry',
    ],
    [{ tokenFile: '/nonexistent/token' }, env, 'cannot read --token-file /nonexistent/token: ENOENT'],
  ])('refuses %j with a usage error (exit 2) saying %s', (flags, environment, said) => {
    const error = (() => {
      try {
        resolveConnection(flags, environment);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as Error).message).toContain(said);
  });

  it('names where a bad token came from, never the token itself', () => {
    const bad = 'secret with\nnewline';
    expect(() => resolveConnection({}, { ORCHESTRATOR_URL: 'http://h', ORCHESTRATOR_TOKEN: bad })).toThrow(
      /^the token in ORCHESTRATOR_TOKEN has spaces/,
    );
  });
});
