import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Where the client writes the curl header file of the Claude Code curl hook: beside the token
 * file, so one setting names both. Both SDKs use this rule.
 */
export function hookHeaderFile(tokenFile: string): string {
  return `${tokenFile}.headers`;
}

/** The header file's content: `curl -H @file` sends each line as a header. */
export function hookHeaderLines(accessToken: string, phaseToken: string): string {
  for (const value of [accessToken, phaseToken]) {
    // A line break would let a token add headers of its own.
    if ([...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
      throw new Error('a token holds a control character');
    }
  }
  return `Authorization: Bearer ${accessToken}\nX-Phase-Token: ${phaseToken}\nContent-Type: application/json\n`;
}

/**
 * Writes the header file atomically with mode 0600 (it holds the access token, as the agent's
 * environment does); missing directories are created 0700.
 */
export async function writeHookHeaderFile(
  tokenFile: string,
  tokens: { accessToken: string; phaseToken: string },
): Promise<void> {
  const path = hookHeaderFile(tokenFile);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, hookHeaderLines(tokens.accessToken, tokens.phaseToken), { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}

/** Removes the header file with the token file, once no task is held. */
export async function removeHookHeaderFile(tokenFile: string): Promise<void> {
  await rm(hookHeaderFile(tokenFile), { force: true });
}
