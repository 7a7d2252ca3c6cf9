import { createHash } from 'node:crypto';
import { canonicalJson } from '../../audit/domain/canonical-json.js';
import { type ArtifactMap } from './checks/check.model.js';

/** `sha256:` and 64 hex digits: how a digest of artifacts is written everywhere. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/**
 * The digest an approval binds to: SHA-256 of the canonical JSON (RFC 8785: keys sorted, no
 * whitespace) of the artifacts a gate's decision reads, so any change to any of them, or one
 * more artifact, is a different digest whatever the key order or spacing it was sent with.
 */
export function artifactDigest(artifacts: ArtifactMap): string {
  return `sha256:${createHash('sha256').update(canonicalJson(artifacts), 'utf8').digest('hex')}`;
}
