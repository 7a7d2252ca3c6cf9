import type pg from 'pg';
import { type UnsealedEntry } from '../domain/audit-entry.js';
import { CHECKPOINT_ACTION } from '../domain/checkpoint.js';
import { sealEntryLine } from '../domain/hash-chain.js';
import { checkpointEntry } from '../domain/system-entries.js';
import { type AuditSigner } from '../signing/audit-signer.js';
import { type ChainHead } from './audit-chain-head.js';
import { type SealedRow } from './audit-entry-rows.js';

/**
 * The postgres chain is one segment from seq 1 (no retention), so every checkpoint names 1 as
 * its `segment_first_seq` and 0 as `pruned_through_seq`: what `ChainVerifier` expects of a
 * single file that starts at genesis.
 */
const SEGMENT_FIRST_SEQ = 1;

/** Signing state read under the head lock: the chain's last checkpoint, whoever wrote it. */
export interface ChainSigning {
  readonly signer: AuditSigner;
  readonly everyEntries: number;
  readonly signedThrough: number;
}

/** Seq of the newest `audit.checkpoint` in the chain (0: none); an index scan on (action, seq). */
export async function lastCheckpointSeq(client: pg.PoolClient | pg.Pool): Promise<number> {
  const { rows } = await client.query<{ seq: string | null }>(
    'SELECT max(seq) AS seq FROM audit_entries WHERE action = $1',
    [CHECKPOINT_ACTION],
  );
  return Number(rows[0]?.seq ?? 0);
}

export interface SignedChain {
  /** Every row to insert, in chain order (items and checkpoints). */
  readonly rows: SealedRow[];
  /** The rows of `items`, in their order (to settle each caller). */
  readonly itemRows: SealedRow[];
  /** The last checkpoint written, to anchor after the commit. */
  readonly checkpoint: SealedRow | null;
}

/**
 * Seals `items` after `head`, in order. With `signing`, a checkpoint follows every entry that
 * leaves `everyEntries` unsigned, and with `final` one closes the batch if anything is unsigned:
 * each checkpoint's seq and prev_hash are its own place in the chain, which the head lock makes
 * this transaction's alone.
 */
export function chainSigned(
  head: ChainHead,
  items: readonly { fields: UnsealedEntry; ts: string }[],
  signing: ChainSigning | null,
  now: () => string,
  final = false,
): SignedChain {
  let prev = head;
  let unsigned = signing ? head.seq - signing.signedThrough : 0;
  const rows: SealedRow[] = [];
  const itemRows: SealedRow[] = [];
  let checkpoint: SealedRow | null = null;
  const seal = (fields: UnsealedEntry, ts: string): SealedRow => {
    const sealed = sealEntryLine(fields, { seq: prev.seq + 1, ts, prevHash: prev.hash });
    prev = sealed.entry;
    rows.push(sealed);
    return sealed;
  };
  const sign = (signer: AuditSigner) => {
    const ts = now();
    const signed = signer.sign({
      v: 1,
      seq: prev.seq + 1,
      prev_hash: prev.hash,
      ts,
      segment_first_seq: SEGMENT_FIRST_SEQ,
      pruned_through_seq: 0,
    });
    checkpoint = seal(checkpointEntry(signed), ts);
    unsigned = 0;
  };
  for (const item of items) {
    itemRows.push(seal(item.fields, item.ts));
    unsigned += 1;
    if (signing && unsigned >= signing.everyEntries) sign(signing.signer);
  }
  if (signing && final && unsigned > 0) sign(signing.signer);
  return { rows, itemRows, checkpoint };
}
