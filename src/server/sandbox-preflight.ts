import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { realLocation } from '../common/domain/real-location.js';
import { type AppConfig } from '../config/app-config.js';
import { devSecretPath } from '../config/signing-secret.js';
import { signingKeyPath } from '../audit/signing/audit-signing-key.js';
import { SYSTEM_DIRS } from '../tools/domain/sandbox/sandbox-layout.js';
import { StartupError } from './startup-error.js';

/**
 * What agents' tools can reach must hold none of the orchestrator's own files: file tools act on
 * the workspace, commands also see the system directories and `tools.sandbox_read_only_paths`.
 * A state, audit, event, log, config, secret or audit signing key file inside any of them could be read or
 * rewritten by an agent, so start-up refuses (exit 2) and names both keys.
 */
export function checkSandboxPaths(config: AppConfig): void {
  const v = config.values;
  if (!v.tools.execution_enabled) return;
  for (const path of v.tools.sandbox_read_only_paths) {
    if (!existsSync(path)) {
      throw new StartupError(
        `tools.sandbox_read_only_paths lists ${path} (${config.sourceOf('tools.sandbox_read_only_paths')}), which does not exist; ` +
          'remove it or create it',
      );
    }
  }
  const at = (p: string) => resolve(config.baseDir, p);
  const reachable: Array<[string, string]> = [
    ['tools.workspace_root', at(v.tools.workspace_root)],
    ...v.tools.sandbox_read_only_paths.map((p): [string, string] => ['tools.sandbox_read_only_paths', p]),
    ...(v.tools.sandbox === 'none'
      ? []
      : SYSTEM_DIRS.map((dir): [string, string] => ['the sandbox (system directories)', dir])),
  ];
  const own: Array<[string, string]> = [
    ['state.state_file', dirname(at(v.state.state_file))],
    ['audit.audit_file', dirname(at(v.audit.audit_file))],
    ['the development secret', devSecretPath(config)],
    ['audit.signing_key_file', signingKeyPath(config)],
  ];
  if (v.event.enable_event_persistence)
    own.push(['event.event_persistence_file', at(v.event.event_persistence_file)]);
  if (v.logging.file) own.push(['logging.file', at(v.logging.file)]);
  if (config.file) own.push(['the config file', config.file]);
  for (const [ownKey, ownPath] of own) {
    const real = realLocation(ownPath);
    for (const [key, root] of reachable) {
      const realRoot = realLocation(root);
      if (real === realRoot || real.startsWith(`${realRoot}/`)) {
        throw new StartupError(
          `${ownKey} (${ownPath}) is inside ${key} (${root}): agents' tools could read or rewrite it; ` +
            `move one of them (for example tools.workspace_root to a directory of its own)`,
        );
      }
    }
  }
}
