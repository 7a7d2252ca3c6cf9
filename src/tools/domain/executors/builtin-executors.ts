import { aliasOf, type AnyToolExecutor } from '../tool-executor.js';
import { bashExecutor } from './bash.executor.js';
import { editFilesExecutor } from './edit-files.executor.js';
import { globExecutor } from './glob.executor.js';
import { grepExecutor } from './grep.executor.js';
import { readFilesExecutor } from './read-files.executor.js';
import { writeFilesExecutor } from './write-files.executor.js';

/**
 * The tools this server runs itself. `search_files` and `list_files` are the names the
 * default workflow gives grep and glob in its read-only phases.
 */
export function builtinExecutors(): AnyToolExecutor[] {
  return [
    readFilesExecutor,
    writeFilesExecutor,
    editFilesExecutor,
    grepExecutor,
    globExecutor,
    bashExecutor,
    aliasOf(grepExecutor, 'search_files'),
    aliasOf(globExecutor, 'list_files'),
  ];
}
