import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { type AuditEntry, type AuditJson } from './audit-entry.js';
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './hash-chain.js';

/** The entry the writer appends to sign the chain up to it (see `CheckpointPayload`). */
export const CHECKPOINT_ACTION = 'audit.checkpoint';
/** The entry the writer appends before retention deletes a rotated file. */
export const PRUNE_ACTION = 'audit.prune';

/**
 * What a checkpoint signs (Ed25519 over its canonical JSON). `seq` and `prev_hash` are the
 * checkpoint entry's own: since every hash covers the one before it, the signature vouches
 * for every entry before the checkpoint, and nobody without the private key can recompute
 * the chain behind it.
 */
export interface CheckpointPayload {
  readonly v: 1;
  readonly seq: number;
  readonly prev_hash: string;
  readonly ts: string;
  /** First seq of the file the checkpoint is written to (the segment id). */
  readonly segment_first_seq: number;
  /** Every seq up to this one was deleted by retention (0: none); see `audit.prune`. */
  readonly pruned_through_seq: number;
  readonly key_id: string;
}

/** A checkpoint as stored in the entry's `details.checkpoint` and in the anchor. */
export interface SignedCheckpoint {
  readonly payload: CheckpointPayload;
  /** Base64 Ed25519 signature over `checkpointBytes(payload)`. */
  readonly signature: string;
}

export function checkpointBytes(payload: CheckpointPayload): Buffer {
  return Buffer.from(canonicalJson(payload as unknown as AuditJson));
}

/** Key id: the first 16 hex digits of the SHA-256 of the public key (SPKI DER). */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

export function signCheckpoint(payload: CheckpointPayload, privateKey: KeyObject): SignedCheckpoint {
  return { payload, signature: sign(null, checkpointBytes(payload), privateKey).toString('base64') };
}

/** Public keys the verifier trusts, by key id. */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export function trustedKeys(keys: readonly KeyObject[]): TrustedKeys {
  return new Map(keys.map((key) => [keyIdOf(key), key.type === 'private' ? createPublicKey(key) : key]));
}

export type CheckpointProblem = 'malformed' | 'unknown_key' | 'bad_signature' | 'misplaced';

/** Checks a checkpoint entry: its payload is its own place in the chain, and the signature holds. */
export function checkCheckpoint(
  entry: AuditEntry,
  keys: TrustedKeys,
): { ok: true; checkpoint: SignedCheckpoint } | { ok: false; problem: CheckpointProblem; message: string } {
  const checkpoint = readCheckpoint(entry.details);
  if (!checkpoint)
    return { ok: false, problem: 'malformed', message: 'the checkpoint entry has no valid payload' };
  const { payload } = checkpoint;
  if (payload.seq !== entry.seq || payload.prev_hash !== entry.prev_hash) {
    return {
      ok: false,
      problem: 'misplaced',
      message: `the checkpoint signs seq ${payload.seq}, but it sits at seq ${entry.seq} or after another entry`,
    };
  }
  const key = keys.get(payload.key_id);
  if (!key) {
    return {
      ok: false,
      problem: 'unknown_key',
      message: `the checkpoint is signed by key ${payload.key_id}, which is not a trusted public key`,
    };
  }
  const good = verify(null, checkpointBytes(payload), key, Buffer.from(checkpoint.signature, 'base64'));
  return good
    ? { ok: true, checkpoint }
    : {
        ok: false,
        problem: 'bad_signature',
        message: 'the checkpoint signature does not match the chain before it',
      };
}

/** The checkpoint in an entry's `details` (or an anchor), if it has the right shape. */
export function readCheckpoint(details: unknown): SignedCheckpoint | null {
  if (!isRecord(details)) return null;
  const checkpoint = details['checkpoint'];
  return isSignedCheckpoint(checkpoint) ? checkpoint : null;
}

export function isSignedCheckpoint(value: unknown): value is SignedCheckpoint {
  if (!isRecord(value) || typeof value['signature'] !== 'string') return false;
  const p = value['payload'];
  if (!isRecord(p)) return false;
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  return (
    p['v'] === 1 &&
    count(p['seq']) &&
    typeof p['prev_hash'] === 'string' &&
    typeof p['ts'] === 'string' &&
    count(p['segment_first_seq']) &&
    count(p['pruned_through_seq']) &&
    typeof p['key_id'] === 'string' &&
    Object.keys(p).length === 7
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
