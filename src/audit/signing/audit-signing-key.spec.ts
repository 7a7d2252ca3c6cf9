import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { loadConfig } from '../../config/config.loader.js';
import { ConfigError } from '../../config/config.error.js';
import { defaultSigningKeyPath, resolveAuditSigner } from './audit-signing-key.js';

function setup(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'orch-audit-key-'));
  const config = () => loadConfig({ cwd: dir, env, systemConfigPath: join(dir, 'none') });
  return { dir, config };
}

function keyFile(dir: string, name = 'audit-key.pem', mode = 0o600): string {
  mkdirSync(join(dir, 'keys'), { recursive: true });
  const path = join(dir, 'keys', name);
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  chmodSync(path, mode);
  return path;
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a start-up refusal');
}

describe('resolveAuditSigner', () => {
  it('without a configured key generates one in the state directory (0600) once, then reuses it', () => {
    const { config } = setup();
    const first = resolveAuditSigner(config());
    const path = defaultSigningKeyPath(config());
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(first.notices[0]).toContain(path);
    expect(first.warnings).toEqual([]);
    const again = resolveAuditSigner(config());
    expect(again.signer.keyId).toBe(first.signer.keyId);
    expect(again.notices).toEqual([]);
  });

  it('warns in production that the generated default sits beside the state', () => {
    const { config } = setup();
    expect(resolveAuditSigner(config(), { NODE_ENV: 'production' }).warnings[0]).toMatch(
      /audit\.signing_key_file is not set/,
    );
  });

  it('uses a configured Ed25519 key, naming its source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-audit-key-'));
    const path = keyFile(dir);
    const { signer } = resolveAuditSigner(
      loadConfig({
        cwd: dir,
        env: { ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: path },
        systemConfigPath: join(dir, 'none'),
      }),
    );
    expect(signer.source).toContain('env ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE');
  });

  it.each([
    ['readable by others', (dir: string) => keyFile(dir, 'k.pem', 0o644), /mode 0644.*chmod 600/],
    ['missing', (dir: string) => join(dir, 'nope.pem'), /cannot read it \(ENOENT\)/],
    [
      'not a key',
      (dir: string) => {
        const p = join(dir, 'jwt.txt');
        writeFileSync(p, 'a-jwt-secret-value-that-must-not-be-echoed', { mode: 0o600 });
        return p;
      },
      /not a PEM private key/,
    ],
    [
      'an RSA key',
      (dir: string) => {
        const p = join(dir, 'rsa.pem');
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
        writeFileSync(p, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
        return p;
      },
      /rsa key, not Ed25519/,
    ],
    [
      'inside the audit directory',
      (dir: string) => {
        mkdirSync(join(dir, '.orchestrator'), { recursive: true });
        const p = join(dir, '.orchestrator', 'audit-key.pem');
        writeFileSync(p, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), {
          mode: 0o600,
        });
        return p;
      },
      /inside the audit directory/,
    ],
    [
      'the JWT development secret file',
      (dir: string) => join(dir, '.orchestrator', 'dev-secret'),
      /inside the audit directory|JWT/,
    ],
  ])('refuses a key file that is %s, naming key, value and source', (_name, make, reason) => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-audit-key-'));
    const path = make(dir);
    const message = refusal(() =>
      resolveAuditSigner(
        loadConfig({
          cwd: dir,
          env: { ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: path },
          systemConfigPath: join(dir, 'none'),
        }),
      ),
    );
    expect(message).toContain(`audit.signing_key_file="${path}"`);
    expect(message).toContain('env ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE');
    expect(message).toMatch(reason);
    expect(message).not.toContain('a-jwt-secret-value');
  });

  it('refuses a public_key_file that is not the signing key’s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orch-audit-key-'));
    const path = keyFile(dir);
    const pub = join(dir, 'other.pub.pem');
    writeFileSync(pub, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const message = refusal(() =>
      resolveAuditSigner(
        loadConfig({
          cwd: dir,
          env: { ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: path, ORCHESTRATOR_AUDIT_PUBLIC_KEY_FILE: pub },
          systemConfigPath: join(dir, 'none'),
        }),
      ),
    );
    expect(message).toMatch(/audit\.public_key_file=.*it is not the public key of/);
  });

  it('never prints or serialises the private key', () => {
    const { config } = setup();
    const { signer } = resolveAuditSigner(config());
    const pem = readFileSync(defaultSigningKeyPath(config()), 'utf8');
    const body = pem.split('\n')[1]!;
    for (const text of [
      JSON.stringify({ signer }),
      inspect(signer),
      String(signer),
      inspect(signer, { showHidden: true }),
    ])
      expect(text).not.toContain(body);
  });
});
