import { nodeStateFs, writeFileAtomic, type StateFs } from '../../state/file/state-fs.js';
import { UnavailableError } from '../../common/domain/domain-error.js';
import { isSignedCheckpoint } from '../domain/checkpoint.js';
import { AuditAnchorStore, type AuditAnchor } from './audit-anchor.store.js';

const FORMAT = 'workflow-orchestrator/audit-anchor';

/**
 * The anchor as a small JSON file in the state directory, replaced atomically (temp file,
 * fsync, rename, directory fsync), so a crash leaves the old anchor or the new one.
 */
export class FileAuditAnchorStore extends AuditAnchorStore {
  constructor(
    readonly location: string,
    private readonly fs: StateFs = nodeStateFs,
  ) {
    super();
  }

  async read(): Promise<AuditAnchor | null> {
    const bytes = await this.fs.readFile(this.location);
    if (bytes === null) return null;
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw anchorCorrupt(this.location, 'it is not JSON');
    }
    const anchor = parseAnchor(value);
    if (!anchor) throw anchorCorrupt(this.location, 'it is not an audit anchor');
    return anchor;
  }

  async write(anchor: AuditAnchor): Promise<void> {
    const text = `${anchorFileText(anchor)}\n`;
    await writeFileAtomic(this.fs, this.location, (handle) => handle.write(Buffer.from(text)));
  }
}

/** The anchor as an anchor file holds it (one JSON line). */
export function anchorFileText(anchor: AuditAnchor): string {
  return JSON.stringify({ format: FORMAT, ...anchor });
}

function parseAnchor(value: unknown): AuditAnchor | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (v['format'] !== FORMAT || !Number.isSafeInteger(v['seq']) || typeof v['hash'] !== 'string') return null;
  if (!isSignedCheckpoint(v['checkpoint'])) return null;
  return { seq: v['seq'] as number, hash: v['hash'], checkpoint: v['checkpoint'] };
}

export function anchorCorrupt(location: string, why: string): UnavailableError {
  return new UnavailableError(
    'audit_anchor_corrupt',
    `The audit anchor ${location} is damaged (${why}): the end of the audit log cannot be checked. ` +
      'Run `orchestrator audit verify`; after investigating, move the file aside to re-anchor at the next start.',
  );
}
