import { existsSync } from 'node:fs';
import { type AppConfig } from './app-config.js';
import { devSecretPath } from './signing-secret.js';
import { redactUrlCredentials } from '../common/domain/url-credentials.js';

export interface ConfigReportRow {
  key: string;
  value: unknown;
  source: string;
}

/** Effective config as rows (key, value, source) with secrets redacted, for `config show`. */
export function configReport(config: AppConfig, env: NodeJS.ProcessEnv = process.env): ConfigReportRow[] {
  const rows: ConfigReportRow[] = [];
  for (const [section, values] of Object.entries(config.values)) {
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      const key = `${section}.${name}`;
      const shown = typeof value === 'string' ? redactUrlCredentials(value) : value;
      rows.push({ key, value: shown, source: config.sourceOf(key) });
    }
  }
  const varName = config.values.security.jwt_secret_env_var;
  const secret = env[varName];
  const devFile = devSecretPath(config);
  rows.push({
    key: 'security.jwt_secret',
    value: secret
      ? `[redacted: ${Buffer.byteLength(secret)} bytes]`
      : existsSync(devFile)
        ? '[redacted: development secret file]'
        : '[not set]',
    source: secret ? `env ${varName}` : existsSync(devFile) ? `file ${devFile}` : `env ${varName} (unset)`,
  });
  return rows;
}

/** Rows as an aligned text table. */
export function formatConfigReport(rows: ConfigReportRow[], file: string | null): string {
  const width = Math.max(...rows.map((r) => r.key.length));
  const valueWidth = Math.min(48, Math.max(...rows.map((r) => JSON.stringify(r.value).length)));
  const lines = rows.map(
    (r) => `${r.key.padEnd(width)}  ${JSON.stringify(r.value).padEnd(valueWidth)}  ${r.source}`,
  );
  return [`# config file: ${file ?? '(none: defaults and environment)'}`, ...lines].join('\n');
}
