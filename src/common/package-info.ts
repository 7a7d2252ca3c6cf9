import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageInfo {
  name: string;
  version: string;
  /** The package's root directory (holds package.json and the default workflows/). */
  root: string;
}

/** Name and version from package.json, found by walking up from this file (src/ or dist/). */
function readPackageInfo(): PackageInfo {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
      };
      return { name: pkg.name, version: pkg.version, root: dir };
    } catch {
      dir = dirname(dir);
    }
  }
  return { name: 'workflow-orchestrator', version: '0.0.0', root: process.cwd() };
}

export const packageInfo: PackageInfo = readPackageInfo();
