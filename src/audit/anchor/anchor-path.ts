import { dirname, resolve } from 'node:path';
import { type AppConfig } from '../../config/app-config.js';

/** The file anchor lives in the state directory, apart from the audit files (whatever `audit_file` says). */
export function auditAnchorPath(config: AppConfig): string {
  return resolve(config.baseDir, dirname(config.values.state.state_file), 'audit-anchor.json');
}
