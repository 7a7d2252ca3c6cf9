import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { quote } from 'shell-quote';
import { HOOK_ROUTE } from '../hook-route.js';
import { shellDoubleQuote } from './shell-double-quote.js';

export interface CurlHookCommandOptions {
  tokenFile: string;
  /** The orchestrator's base URL (http or https). */
  url: string;
  /** The curl binary, by absolute path. */
  curl: string;
}

/** Under Claude Code's own timeout for the hook (10 s), so a slow server is a block, not a pass. */
const CURL_MAX_SECONDS = 8;

/**
 * The curl command hook: one curl process posts the hook JSON to the server's PreToolUse route
 * with the headers the SDK keeps in `<tokenFile>.headers`; no Node starts, so a call costs a few
 * ms. It fails closed like the Node hook: `-q` ignores any ~/.curlrc, `--fail-with-body` makes a
 * refused access token (401) an error, and `|| exit 2` turns every curl failure (server down,
 * timeout, no header file because no task is held) into a block.
 */
export function claudeCodeCurlHookCommand(options: CurlHookCommandOptions): string {
  const base = URL.canParse(options.url) ? new URL(options.url) : null;
  if (base?.protocol !== 'http:' && base?.protocol !== 'https:') {
    throw new Error(`the hook URL must be http or https, not ${options.url}`);
  }
  // Joined as the Node hook joins it, so a base URL with a path prefix (a reverse proxy) keeps it.
  const route = `${base.toString().replace(/\/+$/, '')}${HOOK_ROUTE}`;
  const headers = shellDoubleQuote(`@${options.tokenFile}.headers`);
  const curl = quote([options.curl, '-q', '-sS', '--max-time', String(CURL_MAX_SECONDS), '--fail-with-body']);
  return `${curl} -H ${headers} --data-binary @- '${route.replace(/'/g, "'\\''")}' || exit 2`;
}

/** The first executable `curl` on `path` (a PATH value), by absolute path; null when there is none. */
export function findCurl(path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(':')) {
    if (!dir.startsWith('/')) continue; // a relative PATH entry depends on where the hook runs
    const candidate = join(dir, 'curl');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
