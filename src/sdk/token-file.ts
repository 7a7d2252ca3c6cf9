import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the client shares with out-of-process helpers such as the Claude Code hook. */
export interface TokenFileContent {
  task_id: string;
  phase: string;
  phase_token: string;
  base_url: string;
}

/**
 * Writes the file atomically with mode 0600: a phase token is a credential. Missing parent
 * directories are created with mode 0700 (an existing directory is left as it is).
 */
export async function writeTokenFile(path: string, content: TokenFileContent): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
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

/** The file's content, or null when there is no file or it does not name a task. */
export async function readTokenFile(path: string): Promise<TokenFileContent | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const content = JSON.parse(text) as Partial<TokenFileContent> | null;
    return typeof content?.task_id === 'string' ? (content as TokenFileContent) : null;
  } catch {
    return null; // torn or foreign content: nothing to resume from
  }
}
