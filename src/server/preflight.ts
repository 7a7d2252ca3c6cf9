import { constants, accessSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { type AppConfig } from '../config/app-config.js';
import { StartupError } from './startup-error.js';

/**
 * Checks, before anything binds or writes, that every directory the server writes to exists
 * (creating it if allowed) and is writable; otherwise one line naming the path, the key that
 * sets it (with its value when that is relative) and the user the process runs as.
 */
export function checkWritableDirectories(config: AppConfig): void {
  const v = config.values;
  // [key, the directory to write, the key's value]
  const dirs: Array<[string, string, string]> = [
    ['state.state_file', dirname(v.state.state_file), v.state.state_file],
    ['audit.audit_file', dirname(v.audit.audit_file), v.audit.audit_file],
    // File tools and commands write into the workspace itself (created at start-up).
    ['tools.workspace_root', v.tools.workspace_root, v.tools.workspace_root],
  ];
  if (v.event.enable_event_persistence)
    dirs.push([
      'event.event_persistence_file',
      dirname(v.event.event_persistence_file),
      v.event.event_persistence_file,
    ]);
  if (v.logging.file) dirs.push(['logging.file', dirname(v.logging.file), v.logging.file]);
  for (const [key, dir, value] of dirs) {
    const path = resolve(config.baseDir, dir);
    try {
      mkdirSync(path, { recursive: true });
      accessSync(path, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new StartupError(
        `directory ${path} (from ${key}, ${config.sourceOf(key)}${relativeValue(value, config.baseDir)}) ` +
          `is not writable by user ${whoami()}: ${code}; fix its ownership/permissions or point ${key} elsewhere`,
      );
    }
  }
}

/** A relative value is resolved against the working directory: say so, the path alone hides why. */
function relativeValue(value: string, baseDir: string): string {
  return isAbsolute(value) ? '' : `: ${JSON.stringify(value)} relative to the working directory ${baseDir}`;
}

function whoami(): string {
  try {
    const u = userInfo();
    return `${u.username} (uid ${u.uid})`;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
