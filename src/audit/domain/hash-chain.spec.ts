import { createHash } from 'node:crypto';
import { GENESIS_HASH, type UnsealedEntry } from './audit-entry.js';
import { parseAuditLine } from './audit-line.js';
import { canonicalJson } from './canonical-json.js';
import { entryHash, sealEntry, sealEntryLine, serializeEntry } from './hash-chain.js';

const FIELDS: UnsealedEntry = {
  actor: 'agent-001',
  role: 'agent',
  action: 'tool.authorize',
  decision: 'allowed',
  success: true,
  task_id: 't-1',
  phase: 'TDD',
  tool: 'write_files',
  args: { path: 'tests/a.test.ts', z: 1, a: [true, null, { y: 2, x: 'é' }] },
  reason: null,
  blockers: null,
  details: null,
  duration_ms: 1.5,
  request_id: 'req-1',
};

describe('canonical JSON', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"e":2,"f":1}]},"b":1}',
    );
  });

  it('sorts by UTF-16 code units, as RFC 8785 does', () => {
    expect(canonicalJson({ b: 1, B: 2, é: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"B":2,"b":1,"é":3}');
  });

  it('leaves out undefined members and writes undefined array items as null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
  });

  it('refuses values without a JSON form', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: Infinity })).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
  });
});

describe('hash chain', () => {
  const first = sealEntry(FIELDS, { seq: 1, ts: '2026-01-01T00:00:00.000Z', prevHash: GENESIS_HASH });
  const second = sealEntry(FIELDS, { seq: 2, ts: '2026-01-01T00:00:01.000Z', prevHash: first.hash });

  it('hashes the canonical JSON of every field but the hash itself', () => {
    const { hash, ...rest } = first;
    expect(hash).toBe(createHash('sha256').update(canonicalJson(rest)).digest('hex'));
    expect(entryHash(first as unknown as Record<string, unknown>)).toBe(hash);
    expect(first.prev_hash).toBe('0'.repeat(64));
  });

  it('links each entry to the previous hash, so the same fields hash differently', () => {
    expect(second.prev_hash).toBe(first.hash);
    expect(second.hash).not.toBe(first.hash);
  });

  it('writes known fields in a fixed order, seq first and hash last', () => {
    const line = serializeEntry(first as unknown as Record<string, unknown>);
    expect(
      line.startsWith('{"seq":1,"ts":"2026-01-01T00:00:00.000Z","actor":"agent-001","role":"agent"'),
    ).toBe(true);
    expect(line.endsWith(`"prev_hash":"${GENESIS_HASH}","hash":"${first.hash}"}`)).toBe(true);
    expect(line).toContain('"args":{"a":[true,null,{"x":"é","y":2}],"path":"tests/a.test.ts","z":1}');
  });

  it('seals and writes in one pass, giving the same line and hash as the separate steps', () => {
    const { entry, line } = sealEntryLine(FIELDS, {
      seq: 2,
      ts: '2026-01-01T00:00:01.000Z',
      prevHash: first.hash,
    });
    expect(entry).toEqual(second);
    expect(line).toBe(serializeEntry(second as unknown as Record<string, unknown>));
  });

  it('reads back a written line as the same entry', () => {
    const parsed = parseAuditLine(serializeEntry(second as unknown as Record<string, unknown>));
    expect(parsed).toEqual({ ok: true, entry: second });
  });

  it('rejects a line whose content no longer matches its hash', () => {
    const line = serializeEntry(first as unknown as Record<string, unknown>).replace('"TDD"', '"IMPL"');
    expect(parseAuditLine(line)).toMatchObject({ ok: false, problem: 'hash_mismatch', claimedSeq: 1 });
  });

  it('rejects an edit that keeps the parsed value (an escape written differently)', () => {
    const withControl = sealEntry(
      { ...FIELDS, reason: 'a\u001fb' },
      { seq: 1, ts: first.ts, prevHash: GENESIS_HASH },
    );
    const line = serializeEntry(withControl as unknown as Record<string, unknown>);
    expect(line).toContain('\\u001f');
    expect(parseAuditLine(line).ok).toBe(true);
    expect(parseAuditLine(line.replace('\\u001f', '\\u001F'))).toMatchObject({
      ok: false,
      problem: 'non_canonical',
    });
  });

  it('names what is wrong with lines that are not entries', () => {
    expect(parseAuditLine('{"seq":1,"ts":')).toMatchObject({ ok: false, problem: 'unparseable' });
    expect(parseAuditLine('[1,2]')).toMatchObject({ ok: false, problem: 'not_an_entry' });
    const { hash: _h, ...noHash } = first;
    expect(parseAuditLine(JSON.stringify(noHash))).toMatchObject({ ok: false, problem: 'not_an_entry' });
    expect(parseAuditLine(JSON.stringify({ ...first, seq: 0 }))).toMatchObject({
      ok: false,
      problem: 'not_an_entry',
    });
  });

  it('keeps unknown fields under the hash, written sorted before it', () => {
    const extended = { ...first, zeta: 1, alpha: 'x' } as Record<string, unknown>;
    const sealed = { ...extended, hash: entryHash(extended) };
    const line = serializeEntry(sealed);
    expect(line).toMatch(/"request_id":"req-1","prev_hash":"0{64}","alpha":"x","zeta":1,"hash":/);
    expect(parseAuditLine(line).ok).toBe(true);
    expect(parseAuditLine(line.replace('"zeta":1', '"zeta":2')).ok).toBe(false);
  });

  it('round-trips text that is not valid UTF-16 or holds line separators', () => {
    const odd = sealEntry(
      { ...FIELDS, reason: 'lone \ud800 surrogate, line\u2028separator, newline\nand NUL\u0000' },
      { seq: 1, ts: first.ts, prevHash: GENESIS_HASH },
    );
    const line = serializeEntry(odd as unknown as Record<string, unknown>);
    expect(line).not.toContain('\n');
    expect(parseAuditLine(Buffer.from(line).toString('utf8'))).toEqual({ ok: true, entry: odd });
  });
});
