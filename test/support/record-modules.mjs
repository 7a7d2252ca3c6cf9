/**
 * `node --import <this file> …` records every module the process loads, for tests that guard what
 * an entry point costs to start. Appends to the file named by RECORD_MODULES_FILE, one per line:
 * `esm <url>` for each resolved import (from the resolve hook in record-modules.hooks.mjs),
 * then at exit `cjs <path>` for each required CommonJS file and `builtin <id>` for each of Node's
 * own internal modules (`process.moduleLoadList`: fetch shows up there as undici).
 */
/* global URL */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.RECORD_MODULES_FILE;
if (!out) throw new Error('record-modules.mjs needs RECORD_MODULES_FILE');
register(new URL('./record-modules.hooks.mjs', import.meta.url), { data: { out } });

const require = createRequire(import.meta.url);
process.on('exit', () => {
  const lines = [
    ...Object.keys(require.cache).map((path) => `cjs ${path}`),
    ...process.moduleLoadList.map((id) => `builtin ${id}`),
  ];
  appendFileSync(out, `${lines.join('\n')}\n`);
});
