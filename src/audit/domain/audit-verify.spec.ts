import { GENESIS_HASH, RECOVER_ACTION, type AuditEntry, type UnsealedEntry } from './audit-entry.js';
import { ChainVerifier, type AuditVerifyReport, type VerifySegment } from './audit-verify.js';
import { sealEntry, serializeEntry, sha256Hex } from './hash-chain.js';

const FIELDS: UnsealedEntry = {
  actor: 'agent-1',
  role: 'agent',
  action: 'tool.authorize',
  decision: 'allowed',
  success: true,
  task_id: 't-1',
  phase: 'PLAN',
  tool: 'read_files',
  args: { path: 'README.md' },
  reason: null,
  blockers: null,
  details: null,
  duration_ms: 2,
  request_id: null,
};

/** Builds a chain of `n` entries (seq from `first`), returning written lines. */
function chain(n: number, first = 1, prevHash = GENESIS_HASH): { lines: string[]; entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  let prev = prevHash;
  for (let seq = first; seq < first + n; seq++) {
    const e = sealEntry(
      { ...FIELDS, request_id: `r${seq}` },
      { seq, ts: '2026-01-01T00:00:00.000Z', prevHash: prev },
    );
    entries.push(e);
    prev = e.hash;
  }
  return { entries, lines: entries.map((e) => serializeEntry(e as unknown as Record<string, unknown>)) };
}

interface File {
  readonly segment: VerifySegment;
  readonly lines: readonly string[];
  /** The last line has no newline. */
  readonly torn?: boolean;
}

function file(name: string, lines: readonly string[], range?: [number, number], torn = false): File {
  return {
    segment: { name, declaredFirstSeq: range?.[0] ?? null, declaredLastSeq: range?.[1] ?? null },
    lines,
    torn,
  };
}

function verify(files: readonly File[], allowPartialStart = false): AuditVerifyReport {
  const verifier = new ChainVerifier({ allowPartialStart });
  for (const f of files) {
    verifier.beginFile(f.segment);
    for (let i = 0; i < f.lines.length; i++) {
      const newline = !(f.torn && i === f.lines.length - 1);
      if (!verifier.line(Buffer.from(f.lines[i]!), i + 1, newline)) break;
    }
    if (verifier.isBroken) break;
  }
  return verifier.finish();
}

describe('ChainVerifier', () => {
  const { lines, entries } = chain(10);

  it('accepts an intact chain and reports its extent', () => {
    expect(verify([file('audit.jsonl', lines)])).toEqual({
      valid: true,
      entries: 10,
      files: 1,
      first_seq: 1,
      last_seq: 10,
      last_hash: entries[9]!.hash,
      starts_after_seq: 0,
      recovered: [],
      signed_late: [],
      torn_tail: null,
      signatures_checked: false,
      checkpoints: 0,
      last_checkpoint_seq: null,
      unanchored_entries: 10,
      pruned_through_seq: 0,
      anchor: null,
    });
  });

  it('accepts an empty log', () => {
    expect(verify([file('audit.jsonl', [])])).toMatchObject({ valid: true, entries: 0, last_seq: null });
  });

  it('reports an edited byte at that seq and line, whatever byte it is', () => {
    const line = lines[4]!;
    for (let i = 0; i < line.length; i++) {
      const code = line.charCodeAt(i);
      const edited = [...lines];
      edited[4] = line.slice(0, i) + String.fromCharCode(code === 0x30 ? 0x31 : 0x30) + line.slice(i + 1);
      const report = verify([file('audit.jsonl', edited)]);
      expect(report.valid).toBe(false);
      expect(report.first_broken).toMatchObject({ seq: 5, file: 'audit.jsonl', line: 5 });
    }
  });

  it('reports a deleted line as the missing seq, at the line where it was', () => {
    const report = verify([file('audit.jsonl', [...lines.slice(0, 3), ...lines.slice(4)])]);
    expect(report.first_broken).toMatchObject({ seq: 4, line: 4, reason: 'missing_entry' });
    expect(report.entries).toBe(3);
  });

  it('reports a deleted first line', () => {
    expect(verify([file('audit.jsonl', lines.slice(1))]).first_broken).toMatchObject({
      seq: 1,
      line: 1,
      reason: 'history_missing',
    });
  });

  it('reports swapped lines', () => {
    const swapped = [...lines];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect(verify([file('audit.jsonl', swapped)]).first_broken).toMatchObject({
      seq: 3,
      line: 3,
      reason: 'missing_entry',
    });
  });

  it('reports an entry replaced by a re-hashed forgery at the next link', () => {
    const forged = sealEntry(
      { ...FIELDS, decision: 'denied' },
      { seq: 5, ts: entries[4]!.ts, prevHash: entries[3]!.hash },
    );
    const edited = [...lines];
    edited[4] = serializeEntry(forged as unknown as Record<string, unknown>);
    expect(verify([file('audit.jsonl', edited)]).first_broken).toMatchObject({
      seq: 6,
      line: 6,
      reason: 'prev_hash_mismatch',
    });
  });

  it('follows the chain across files and checks the names of rotated files', () => {
    const files = [
      file('a.1-4', lines.slice(0, 4), [1, 4]),
      file('a.5-8', lines.slice(4, 8), [5, 8]),
      file('a', lines.slice(8)),
    ];
    expect(verify(files)).toMatchObject({ valid: true, entries: 10, files: 3 });

    const wrongEnd = [file('a.1-5', lines.slice(0, 4), [1, 5]), file('a', lines.slice(4))];
    expect(verify(wrongEnd).first_broken).toMatchObject({ reason: 'file_name_mismatch', file: 'a.1-5' });
    const lostFirst = [file('a.1-4', lines.slice(1, 4), [1, 4]), file('a', lines.slice(4))];
    expect(verify(lostFirst).first_broken).toMatchObject({ reason: 'file_name_mismatch', seq: 1, line: 1 });
  });

  it('accepts history deleted by retention: the oldest rotated file starts where its name says', () => {
    const report = verify([file('a.5-8', lines.slice(4, 8), [5, 8]), file('a', lines.slice(8))]);
    expect(report).toMatchObject({ valid: true, entries: 6, first_seq: 5, starts_after_seq: 4 });
  });

  it('refuses a current file that starts mid-chain unless partial starts are allowed', () => {
    expect(verify([file('a', lines.slice(4))]).first_broken).toMatchObject({
      reason: 'history_missing',
      seq: 4,
    });
    expect(verify([file('copy.jsonl', lines.slice(4))], true)).toMatchObject({
      valid: true,
      starts_after_seq: 4,
    });
  });

  it('reports a missing middle file', () => {
    const files = [file('a.1-4', lines.slice(0, 4), [1, 4]), file('a', lines.slice(8))];
    expect(verify(files).first_broken).toMatchObject({ seq: 5, file: 'a', line: 1, reason: 'missing_entry' });
  });

  it('accepts a torn last line at the very end, and reports it', () => {
    const torn = [...lines.slice(0, 9), lines[9]!.slice(0, 40)];
    const report = verify([file('audit.jsonl', torn, undefined, true)]);
    expect(report).toMatchObject({
      valid: true,
      entries: 9,
      torn_tail: { file: 'audit.jsonl', line: 10, bytes: 40 },
    });
  });

  it('does not accept a damaged last line that has its newline', () => {
    const damaged = [...lines.slice(0, 9), lines[9]!.slice(0, 40)];
    expect(verify([file('audit.jsonl', damaged)]).first_broken).toMatchObject({
      seq: 10,
      line: 10,
      reason: 'unparseable',
    });
  });

  describe('a torn line followed by a recovery entry', () => {
    const fragment = lines[5]!.slice(0, 33);
    const recover = (details: Record<string, unknown>) => {
      const e = sealEntry(
        { ...FIELDS, action: RECOVER_ACTION, decision: 'n/a', details: details as never },
        { seq: 6, ts: entries[5]!.ts, prevHash: entries[4]!.hash },
      );
      return serializeEntry(e as unknown as Record<string, unknown>);
    };
    const vouching = recover({ torn_bytes: 33, torn_sha256: sha256Hex(fragment) });

    it('is accepted when the recovery entry names its exact length and digest', () => {
      const report = verify([file('audit.jsonl', [...lines.slice(0, 5), fragment, vouching])]);
      expect(report).toMatchObject({
        valid: true,
        entries: 6,
        recovered: [{ file: 'audit.jsonl', line: 6, bytes: 33, seq: 6 }],
      });
    });

    it('is a break when the digest does not match (an edited line passed off as torn)', () => {
      const other = recover({ torn_bytes: 33, torn_sha256: sha256Hex('something else') });
      expect(
        verify([file('audit.jsonl', [...lines.slice(0, 5), fragment, other])]).first_broken,
      ).toMatchObject({
        seq: 6,
        line: 6,
        reason: 'unparseable',
      });
    });

    it('is a break when an ordinary entry follows', () => {
      const next = sealEntry(FIELDS, { seq: 6, ts: entries[5]!.ts, prevHash: entries[4]!.hash });
      const report = verify([
        file('audit.jsonl', [...lines.slice(0, 5), fragment, serializeEntry(next as never)]),
      ]);
      expect(report.first_broken).toMatchObject({ seq: 6, line: 6 });
    });

    it('is a break when two damaged lines precede it', () => {
      const report = verify([file('audit.jsonl', [...lines.slice(0, 5), 'garbage', fragment, vouching])]);
      expect(report.first_broken).toMatchObject({ seq: 6, line: 6 });
    });
  });
});
