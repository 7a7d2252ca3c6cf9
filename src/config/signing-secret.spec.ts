import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig } from './config.loader.js';
import { ConfigError } from './config.error.js';
import { devSecretPath, resolveSigningSecret } from './signing-secret.js';

const STRONG = 'a'.repeat(64);

function configIn(dir = mkdtempSync(join(tmpdir(), 'orch-secret-'))) {
  return loadConfig({ cwd: dir, env: {}, systemConfigPath: join(dir, 'none') });
}

describe('resolveSigningSecret', () => {
  it('reads the secret from the env variable named by security.jwt_secret_env_var', () => {
    const config = configIn();
    const { secret, warnings } = resolveSigningSecret(config, {
      ORCHESTRATOR_JWT_SECRET: STRONG,
      NODE_ENV: 'production',
    });
    expect(secret.reveal()).toBe(STRONG);
    expect(secret.source).toBe('env ORCHESTRATOR_JWT_SECRET');
    expect(warnings).toEqual([]);
  });

  it('honours a renamed variable and the _PREVIOUS list for rotation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-secret-'));
    writeFileSync(join(dir, 'orchestrator.yaml'), 'security:\n  jwt_secret_env_var: MY_SECRET\n');
    const config = configIn(dir);
    const { secret } = resolveSigningSecret(config, {
      MY_SECRET: STRONG,
      MY_SECRET_PREVIOUS: ' old-1 , old-2,',
    });
    expect(secret.reveal()).toBe(STRONG);
    expect(secret.revealPrevious()).toEqual(['old-1', 'old-2']);
  });

  it('production refuses a missing secret with a way to generate one', () => {
    expect(() => resolveSigningSecret(configIn(), { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => resolveSigningSecret(configIn(), { NODE_ENV: 'production' })).toThrow(
      /openssl rand -hex 32/,
    );
  });

  it('production refuses a secret under 32 bytes', () => {
    expect(() =>
      resolveSigningSecret(configIn(), { NODE_ENV: 'production', ORCHESTRATOR_JWT_SECRET: 'x'.repeat(31) }),
    ).toThrow(/too short \(31 bytes; at least 32 needed\)/);
  });

  it('development accepts a short secret with a warning', () => {
    const { warnings } = resolveSigningSecret(configIn(), { ORCHESTRATOR_JWT_SECRET: 'short' });
    expect(warnings[0]).toMatch(/too short/);
  });

  it('development without a secret creates a 0600 dev-secret file once and reuses it', () => {
    const config = configIn();
    const first = resolveSigningSecret(config, {});
    const path = devSecretPath(config);
    expect(path).toBe(join(config.baseDir, '.orchestrator', 'dev-secret'));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.warnings[0]).toMatch(/generated a development secret/);
    const second = resolveSigningSecret(config, {});
    expect(second.secret.reveal()).toBe(first.secret.reveal());
    expect(readFileSync(path, 'utf8').trim()).toBe(first.secret.reveal());
  });

  it('does not create the file when asked not to', () => {
    const config = configIn();
    expect(() => resolveSigningSecret(config, {}, { createDevSecret: false })).toThrow(
      /no development secret exists/,
    );
  });

  it('never prints its value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-secret-'));
    mkdirSync(join(dir, '.orchestrator'));
    const { secret } = resolveSigningSecret(configIn(dir), { ORCHESTRATOR_JWT_SECRET: STRONG });
    expect(JSON.stringify({ secret })).not.toContain(STRONG);
    expect(String(secret)).not.toContain(STRONG);
    expect(inspect(secret)).not.toContain(STRONG);
  });
});
