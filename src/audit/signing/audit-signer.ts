import { createPublicKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import {
  keyIdOf,
  signCheckpoint,
  type CheckpointPayload,
  type SignedCheckpoint,
} from '../domain/checkpoint.js';

/**
 * The Ed25519 key that signs audit checkpoints. It hands out signatures, the public key and
 * its id, never the private key: it does not serialise or print it, so it cannot reach a log,
 * an entry, an event or an error message by accident.
 */
export class AuditSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly #privateKey: KeyObject;

  constructor(
    privateKey: KeyObject,
    /** Where the key came from, e.g. `audit.signing_key_file=/etc/… (file:/etc/…yaml)`. */
    readonly source: string,
  ) {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new TypeError('AuditSigner needs an Ed25519 private key');
    }
    this.#privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  sign(payload: Omit<CheckpointPayload, 'key_id'>): SignedCheckpoint {
    return signCheckpoint({ ...payload, key_id: this.keyId }, this.#privateKey);
  }

  /** The public key in PEM (SPKI): what `orchestrator audit verify --public-key` takes. */
  publicKeyPem(): string {
    return this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  toJSON(): string {
    return `AuditSigner(${this.keyId})`;
  }

  toString(): string {
    return `AuditSigner(${this.keyId})`;
  }

  [inspect.custom](): string {
    return `AuditSigner(${this.keyId}, ${this.source})`;
  }
}
