import { chmod, rename, rm, writeFile } from 'node:fs/promises';

/** What the client shares with out-of-process helpers such as the Claude Code hook. */
export interface TokenFileContent {
  task_id: string;
  phase: string;
  phase_token: string;
  base_url: string;
}

/** Writes the file atomically with mode 0600: a phase token is a credential. */
export async function writeTokenFile(path: string, content: TokenFileContent): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(content)}\n`, { mode: 0o600 });
  // The mode given to writeFile is masked by the umask; chmod makes 0600 exact.
  await chmod(temp, 0o600);
  await rename(temp, path);
}

/** Removes the file once the client holds no task, so nothing uses a dead token. */
export async function removeTokenFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
