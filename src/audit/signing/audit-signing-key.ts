import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { realLocation } from '../../common/domain/real-location.js';
import { type AppConfig } from '../../config/app-config.js';
import { ConfigError } from '../../config/config.error.js';
import { devSecretPath } from '../../config/signing-secret.js';
import { keyIdOf } from '../domain/checkpoint.js';
import { AuditSigner } from './audit-signer.js';

const KEY = 'audit.signing_key_file';
const PUBLIC_KEY = 'audit.public_key_file';
const GENERATE_HINT =
  'create one with `openssl genpkey -algorithm ed25519 -out audit-signing-key.pem && chmod 600 audit-signing-key.pem`';

/** Where the generated key lives when `audit.signing_key_file` is not set: the state directory. */
export function defaultSigningKeyPath(config: AppConfig): string {
  return resolve(config.baseDir, dirname(config.values.state.state_file), 'audit-signing-key.pem');
}

/** The private key file in use: the configured one, else the generated default. */
export function signingKeyPath(config: AppConfig): string {
  const configured = config.values.audit.signing_key_file;
  return configured ? resolve(config.baseDir, configured) : defaultSigningKeyPath(config);
}

export interface SignerResolution {
  readonly signer: AuditSigner;
  /** Public keys of earlier signing keys (`audit.previous_public_key_files`), trusted by verify. */
  readonly previousKeys: KeyObject[];
  /** For the operator: a generated key, a default key in production. Never key material. */
  readonly warnings: string[];
  readonly notices: string[];
}

/**
 * Loads the checkpoint signing key. A configured key must be an Ed25519 private key in PEM,
 * readable by its owner only, outside the audit directory, and not the JWT secret's file;
 * anything else stops start-up naming the key, the value and its source. Without one, a key
 * is generated once in the state directory (mode 0600) and reused.
 */
export function resolveAuditSigner(
  config: AppConfig,
  env: NodeJS.ProcessEnv = process.env,
): SignerResolution {
  const configured = config.values.audit.signing_key_file;
  const warnings: string[] = [];
  const notices: string[] = [];
  const path = signingKeyPath(config);
  const source = configured ? config.sourceOf(KEY) : 'default';
  const refuse = (reason: string) => ConfigError.forKey(KEY, configured ?? path, source, reason);

  if (configured) {
    const auditDir = realLocation(dirname(resolve(config.baseDir, config.values.audit.audit_file)));
    const real = realLocation(path);
    if (real.startsWith(`${auditDir}/`)) {
      throw refuse(
        `the key is inside the audit directory ${auditDir}: whoever can rewrite the audit files could read it; keep it elsewhere (e.g. /etc/orchestrator)`,
      );
    }
    if (real === realLocation(devSecretPath(config))) {
      throw refuse('this is the JWT development secret file; the audit key must be a key of its own');
    }
  }
  const generated = !configured && !existsSync(path);
  if (generated) generateKey(path);
  const privateKey = loadPrivateKey(path, refuse);
  const signer = new AuditSigner(privateKey, `${KEY}=${path} (${source})`);
  if (generated) {
    notices.push(
      `generated an audit checkpoint signing key in ${path} (mode 0600, key id ${signer.keyId}); set ${KEY} to a key kept outside the state and audit directories`,
    );
  }
  const publicFile = config.values.audit.public_key_file;
  if (publicFile) {
    const pub = loadPublicKey(resolve(config.baseDir, publicFile), (reason) =>
      ConfigError.forKey(PUBLIC_KEY, publicFile, config.sourceOf(PUBLIC_KEY), reason),
    );
    if (keyIdOf(pub) !== signer.keyId) {
      throw ConfigError.forKey(
        PUBLIC_KEY,
        publicFile,
        config.sourceOf(PUBLIC_KEY),
        `it is not the public key of ${path} (key id ${keyIdOf(pub)}, the signing key is ${signer.keyId})`,
      );
    }
  }
  if (!configured && env.NODE_ENV === 'production') {
    warnings.push(
      `${KEY} is not set: audit checkpoints are signed with the key generated in ${path}, beside the state; anyone who can read it can forge checkpoints. Set ${KEY} (see docs/SECURITY.md "The audit trail")`,
    );
  }
  return { signer, previousKeys: loadPreviousKeys(config), warnings, notices };
}

/** `audit.previous_public_key_files`, each refused naming the key, the value and its source. */
export function loadPreviousKeys(config: AppConfig): KeyObject[] {
  const key = 'audit.previous_public_key_files';
  return config.values.audit.previous_public_key_files.map((file) =>
    loadPublicKey(resolve(config.baseDir, file), (reason) =>
      ConfigError.forKey(key, file, config.sourceOf(key), reason),
    ),
  );
}

/**
 * Writes a new key beside `path` and links it into place: the link is atomic and never
 * replaces a key that appeared meanwhile, so workers starting together on one state directory
 * all end up with the one key the first of them wrote, and none reads a half-written file.
 */
function generateKey(path: string): void {
  const { privateKey } = generateKeyPairSync('ed25519');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  try {
    chmodSync(temp, 0o600);
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/** Reads and checks a private key file; `refuse` builds the start-up error. */
export function loadPrivateKey(path: string, refuse: (reason: string) => Error): KeyObject {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw refuse(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}); ${GENERATE_HINT}`);
  }
  if ((mode & 0o077) !== 0) {
    throw refuse(
      `the file is readable or writable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
    );
  }
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw refuse(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Never echo the file's content: it may be a secret of another kind.
    throw refuse(`it is not a PEM private key; ${GENERATE_HINT}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw refuse(`it is a ${key.asymmetricKeyType ?? 'symmetric'} key, not Ed25519; ${GENERATE_HINT}`);
  }
  return key;
}

/** Reads a public key (SPKI PEM), or derives it from a private key file. */
export function loadPublicKey(path: string, refuse: (reason: string) => Error): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw refuse(`cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let key: KeyObject;
  try {
    key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch {
    throw refuse('it is not a PEM Ed25519 public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw refuse(`it is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}
