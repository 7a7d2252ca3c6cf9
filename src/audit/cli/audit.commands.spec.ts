import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { ManualClock } from '../../common/domain/clock.js';
import { type AuditEntry, type AuditEntryInput } from '../domain/audit-entry.js';
import { listRotated } from '../file/audit-files.js';
import { nodeAuditFs } from '../file/audit-fs.js';
import { JsonlAuditStore } from '../file/jsonl-audit.store.js';
import { type AuditCliIo } from './audit-cli-io.js';
import { runAuditTail } from './audit-tail.command.js';
import { runAuditVerify } from './audit-verify.command.js';
import { registerAuditCommands } from './audit.commands.js';
import { FileAuditAnchorStore } from '../anchor/file-audit-anchor.store.js';
import { AuditSigner } from '../signing/audit-signer.js';

const input = (i: number): AuditEntryInput => ({
  actor: 'agent-001',
  action: 'tool.authorize',
  decision: 'allowed',
  success: true,
  request_id: `r${i}`,
});

class Collect implements AuditCliIo {
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  out = (text: string) => void this.lines.push(text);
  err = (text: string) => void this.errors.push(text);
}

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'audit-cli-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function writeLog(count: number, maxEntries = 4, retainFiles = 100): Promise<string> {
  const auditFile = join(root, `case-${++n}`, 'audit.jsonl');
  const store = await JsonlAuditStore.open({
    auditFile,
    maxEntries,
    retainFiles,
    fsync: false,
    clock: new ManualClock(),
  });
  for (let i = 1; i <= count; i++) await store.append(input(i));
  await store.close();
  return auditFile;
}

const seqs = (lines: readonly string[]) => lines.map((line) => (JSON.parse(line) as AuditEntry).seq);

describe('audit verify', () => {
  it('exits 0 for an intact log and its rotated files', async () => {
    const auditFile = await writeLog(10);
    const io = new Collect();
    expect(await runAuditVerify({ files: [], auditFile, io })).toBe(0);
    expect(io.lines[0]).toMatch(/^✓ audit chain valid: 10 entries in 3 files in .*case-\d+ \(seq 1–10\)$/);
    expect(io.errors).toEqual([]);
  });

  it('exits 1 and names the first broken seq, file and line', async () => {
    const auditFile = await writeLog(10);
    const [, second] = await listRotated(nodeAuditFs, auditFile);
    const text = await readFile(second!.path, 'utf8');
    await writeFile(second!.path, text.replace('"r7"', '"r8"'));
    const io = new Collect();
    expect(await runAuditVerify({ files: [], auditFile, io })).toBe(1);
    expect(io.errors[0]).toBe(`✗ audit chain broken at seq 7: ${second!.name} line 3: hash_mismatch`);
    expect(io.errors.join('\n')).toContain('6 entries before it were intact');
  });

  it('checks given files in seq order whatever order they come in, and refuses missing ones', async () => {
    const auditFile = await writeLog(10, 4, 1);
    const rotated = await listRotated(nodeAuditFs, auditFile);
    expect(rotated).toHaveLength(1);
    const io = new Collect();
    expect(await runAuditVerify({ files: [auditFile, rotated[0]!.path], auditFile: '/unused', io })).toBe(0);
    expect(io.lines).toEqual([
      '✓ audit chain valid: 7 entries in 2 files (seq 5–11)',
      '  signatures NOT checked (no public key): only the hash chain, which anyone can recompute, was checked',
      '  starts after seq 4: older files were removed by retention',
    ]);
    // A current file on its own may start anywhere when named explicitly.
    expect(await runAuditVerify({ files: [auditFile], auditFile: '/unused', io: new Collect() })).toBe(0);
    const missing = new Collect();
    expect(
      await runAuditVerify({ files: [join(root, 'nope.jsonl')], auditFile: '/unused', io: missing }),
    ).toBe(2);
    expect(missing.errors[0]).toContain('no such file');
  });

  it('prints the report as JSON', async () => {
    const auditFile = await writeLog(3);
    await writeFile(auditFile, '{"seq":4,"ts', { flag: 'a' });
    const io = new Collect();
    expect(await runAuditVerify({ files: [], auditFile, io, json: true })).toBe(0);
    expect(JSON.parse(io.lines.join('\n'))).toMatchObject({
      valid: true,
      entries: 3,
      torn_tail: { file: 'audit.jsonl', line: 4, bytes: 12 },
    });
    const text = new Collect();
    await runAuditVerify({ files: [], auditFile, io: text });
    expect(text.lines.at(-1)).toContain('torn tail: audit.jsonl line 4 (12 bytes)');
  });
});

describe('audit tail', () => {
  it('prints the last N entries oldest first, reaching into rotated files', async () => {
    const auditFile = await writeLog(10);
    const io = new Collect();
    expect(await runAuditTail({ auditFile, count: 5, io })).toBe(0);
    expect(seqs(io.lines)).toEqual([6, 7, 8, 9, 10]);
    const all = new Collect();
    await runAuditTail({ auditFile, count: 100, io: all });
    expect(seqs(all.lines)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const raw = (await readFile(auditFile, 'utf8')).split('\n').filter(Boolean);
    expect(io.lines.slice(-2)).toEqual(raw.slice(-2)); // exactly as written
  });

  it('prints nothing for a log that does not exist yet', async () => {
    const io = new Collect();
    expect(await runAuditTail({ auditFile: join(root, 'none', 'audit.jsonl'), io })).toBe(0);
    expect(io.lines).toEqual([]);
  });

  it('follows new entries across rotations until aborted', async () => {
    const auditFile = join(root, `case-${++n}`, 'audit.jsonl');
    const store = await JsonlAuditStore.open({ auditFile, maxEntries: 3, retainFiles: 100, fsync: false });
    for (let i = 1; i <= 2; i++) await store.append(input(i));
    const io = new Collect();
    const stop = new AbortController();
    const following = runAuditTail({ auditFile, count: 1, follow: true, pollMs: 5, signal: stop.signal, io });
    const until = async (count: number) => {
      for (let i = 0; i < 400 && io.lines.length < count; i++) await new Promise((r) => setTimeout(r, 5));
    };
    await until(1);
    for (let i = 3; i <= 12; i++) {
      await store.append(input(i));
      if (i % 4 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    await until(11);
    stop.abort();
    expect(await following).toBe(0);
    await store.close();
    expect(seqs(io.lines)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect((await listRotated(nodeAuditFs, auditFile)).length).toBeGreaterThanOrEqual(3);
  });
});

describe('registerAuditCommands', () => {
  /** A signed, anchored log as the server writes it, and a config file naming its key and state directory. */
  async function signedSetup(): Promise<{ auditFile: string; config: string }> {
    const dir = join(root, `signed-${++n}`);
    await mkdir(join(dir, 'state'), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    const keyFile = join(dir, 'audit-key.pem');
    await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const auditFile = join(dir, 'logs', 'audit.jsonl');
    const store = await JsonlAuditStore.open({
      auditFile,
      fsync: false,
      signer: new AuditSigner(privateKey, 'test'),
      anchors: new FileAuditAnchorStore(join(dir, 'state', 'audit-anchor.json')),
    });
    for (let i = 1; i <= 5; i++) await store.append(input(i));
    await store.close();
    const config = join(dir, 'orchestrator.yaml');
    await writeFile(
      config,
      `audit:\n  audit_file: ${auditFile}\n  signing_key_file: ${keyFile}\nstate:\n  state_file: ${join(dir, 'state', 'state.json')}\n`,
    );
    return { auditFile, config };
  }

  async function run(args: string[]): Promise<{ code: number | undefined; out: string[]; err: string[] }> {
    const program = new Command().exitOverride();
    registerAuditCommands(program);
    const out: string[] = [];
    const err: string[] = [];
    const { write } = process.stdout;
    const writeErr = process.stderr.write;
    process.stdout.write = ((chunk: unknown) => out.push(String(chunk)) > 0) as typeof write;
    process.stderr.write = ((chunk: unknown) => err.push(String(chunk)) > 0) as typeof write;
    const exitCode = process.exitCode;
    try {
      process.exitCode = undefined;
      await program.parseAsync(['node', 'orchestrator', ...args]);
      return { code: process.exitCode as number | undefined, out, err };
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
      process.exitCode = exitCode;
    }
  }

  it('wires verify (signing key and anchor from the config) and tail to the configured audit file', async () => {
    const { config } = await signedSetup();
    const verified = await run(['audit', 'verify', '--config', config]);
    expect(verified.code).toBe(0);
    expect(verified.out[0]).toMatch(/✓ audit chain valid: \d+ entries/);
    expect(verified.out.join('')).toMatch(/signed checkpoint\(s\) verified/);
    expect(verified.out.join('')).toMatch(/audit-anchor\.json \(seq \d+\) is in the log, unchanged/);
    const tail = await run(['audit', 'tail', '-n', '2', '--config', config]);
    expect(tail.out).toHaveLength(2);
  });

  it('verify exits 1 naming the missing range when the last lines were deleted', async () => {
    const { auditFile, config } = await signedSetup();
    const lines = (await readFile(auditFile, 'utf8')).split('\n').filter(Boolean);
    await writeFile(auditFile, `${lines.slice(0, -3).join('\n')}\n`);
    const verified = await run(['audit', 'verify', '--config', config]);
    expect(verified.code).toBe(1);
    expect(verified.err.join('')).toMatch(/entries_missing_at_end/);
  });

  it('verify with --public-key of another key refuses the checkpoints', async () => {
    const { config } = await signedSetup();
    const other = join(root, `other-${++n}.pub.pem`);
    await writeFile(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const verified = await run(['audit', 'verify', '--config', config, '--public-key', other]);
    expect(verified.code).toBe(1);
    expect(verified.err.join('')).toMatch(/not a trusted public key/);
  });
});
