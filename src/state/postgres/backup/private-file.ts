import { randomUUID } from 'node:crypto';
import { chmod, open, rename, rm } from 'node:fs/promises';

/**
 * Writes `text` to `file` mode 0600 (a backup holds every task and stored answer): a temp file
 * beside it, fsynced, then renamed over it, so a crash leaves the old file or the new.
 * Not the file store's writeFileAtomic: that one creates its files mode 0640.
 */
export async function writePrivateFileAtomic(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
