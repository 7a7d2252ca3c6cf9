import { readFileSync } from 'node:fs';
import { printableUrl } from '../../sdk/http.transport.js';
import { CliUsageError } from './operator-cli.errors.js';

export interface ConnectionFlags {
  url?: string;
  tokenFile?: string;
}

export interface Connection {
  url: string;
  token: string;
  /** Where the token came from, for messages (never the token itself). */
  tokenSource: string;
}

/** What a bearer token may hold: visible ASCII, no spaces (a header cannot carry more). */
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

/**
 * The server and the operator's token: `--url`, else ORCHESTRATOR_URL; `--token-file`, else
 * ORCHESTRATOR_TOKEN. There is no `--token` flag: a flag's value shows in `ps` and shell history.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const url = flags.url ?? env.ORCHESTRATOR_URL;
  if (!url) throw new CliUsageError('no server given: pass --url URL or set ORCHESTRATOR_URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliUsageError(`not a URL: ${printableUrl(url)} (expected e.g. http://127.0.0.1:8000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliUsageError(`the server URL must be http:// or https://, got ${parsed.protocol}`);
  if (parsed.username || parsed.password)
    throw new CliUsageError('the server URL must not carry credentials; put the token in ORCHESTRATOR_TOKEN');
  const { token, tokenSource } = readToken(flags, env);
  return { url: `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, ''), token, tokenSource };
}

function readToken(flags: ConnectionFlags, env: NodeJS.ProcessEnv): { token: string; tokenSource: string } {
  let token: string;
  let tokenSource: string;
  if (flags.tokenFile !== undefined) {
    tokenSource = `--token-file ${flags.tokenFile}`;
    try {
      token = readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new CliUsageError(
        `cannot read ${tokenSource}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  } else {
    tokenSource = 'ORCHESTRATOR_TOKEN';
    token = (env.ORCHESTRATOR_TOKEN ?? '').trim();
    if (!token)
      throw new CliUsageError(
        'no token given: set ORCHESTRATOR_TOKEN or pass --token-file FILE (an operator token)',
      );
  }
  if (!token) throw new CliUsageError(`${tokenSource} is empty`);
  if (!TOKEN_TEXT.test(token))
    throw new CliUsageError(`the token in ${tokenSource} has spaces or characters a header cannot carry`);
  return { token, tokenSource };
}
