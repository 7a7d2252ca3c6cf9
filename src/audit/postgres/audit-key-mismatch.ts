import { ConfigError } from '../../config/config.error.js';
import { type AuditSigner } from '../signing/audit-signer.js';

/**
 * The chain's anchored checkpoint is signed by a key this instance does not trust: another
 * instance on the same database signs with its own (generated) key, or the key changed without
 * `audit.previous_public_key_files`. Appending would leave checkpoints no single key verifies.
 */
export function auditKeyMismatch(anchoredKeyId: string, signer: AuditSigner): ConfigError {
  return new ConfigError(
    `the audit chain in the database is anchored by a checkpoint signed with key ${anchoredKeyId}, but this instance signs with ${signer.keyId} (${signer.source}) and does not trust ${anchoredKeyId}: ` +
      'give every instance on the database the same audit.signing_key_file, or list the old public key in audit.previous_public_key_files after a key change',
  );
}
