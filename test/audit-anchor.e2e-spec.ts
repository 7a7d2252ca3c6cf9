import { generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { entryHash, serializeEntry, sha256Hex } from '../src/audit/domain/hash-chain.js';
import { api } from './support/api.js';
import {
  baseEnv,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  type ServerProcess,
} from './support/server-process.js';
import { accessToken } from './support/tokens.js';

/**
 * The six tamperings of issue 14 (plus a deleted rotated file), each applied to a copy of a log
 * the real server wrote and closed, then checked with `orchestrator audit verify` as an
 * operator runs it. Before checkpoints were signed and anchored, every one of them said "valid".
 */
const AUDIT = '.orchestrator';

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

const write = (path: string, all: readonly string[]) => writeFileSync(path, `${all.join('\n')}\n`);

/** An attacker without the key: renumber and re-hash from line `from` on. */
function rechain(all: readonly string[], from: number): string[] {
  const out = all.slice(0, from);
  const before = JSON.parse(out[from - 1]!) as { seq: number; hash: string };
  let prev = before.hash;
  let seq = before.seq + 1;
  for (const line of all.slice(from)) {
    const entry: Record<string, unknown> = {
      ...(JSON.parse(line) as Record<string, unknown>),
      seq: seq++,
      prev_hash: prev,
    };
    delete entry['hash'];
    const hash = entryHash(entry);
    out.push(serializeEntry({ ...entry, hash }));
    prev = hash;
  }
  return out;
}

function rotated(dir: string): string[] {
  return readdirSync(join(dir, AUDIT))
    .filter((f) => /^audit\.jsonl\.\d{12}-\d{12}$/.test(f))
    .sort();
}

describe('orchestrator audit verify against an attacker who can write the audit files', () => {
  let original: string;
  let checkpointLines: number;
  let metrics: string;

  beforeAll(async () => {
    original = tempDir();
    // Small files, so the log rotates and retention prunes (recorded) while the server runs.
    const server = await startServer({
      dir: original,
      env: { ORCHESTRATOR_AUDIT_MAX_ENTRIES: '8', ORCHESTRATOR_AUDIT_RETAIN_FILES: '3' },
    });
    try {
      const operator = accessToken('operator', 'op-anchor');
      for (let i = 0; i < 40; i++) await api(server.url).post('/api/v1/tasks', operator, { title: `t${i}` });
      metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    } finally {
      await server.stop('SIGTERM');
    }
    checkpointLines = server.logs.filter((l) => String(l.msg).includes('audit checkpoint seq=')).length;
  }, 60_000);

  it('exports each anchored checkpoint: a log line and orchestrator_audit_anchored_seq', () => {
    expect(checkpointLines).toBeGreaterThan(0);
    expect(metrics).toMatch(/^orchestrator_audit_anchored_seq [1-9]\d*$/m);
  });

  /** A fresh copy of the closed log to tamper with. */
  function copy(): string {
    const dir = tempDir();
    cpSync(original, dir, { recursive: true });
    return dir;
  }

  async function verify(dir: string): Promise<{ code: number | null; out: string }> {
    const result = await runCli(['audit', 'verify'], { cwd: dir, env: baseEnv() });
    return { code: result.code, out: `${result.stdout}${result.stderr}` };
  }

  it('the untouched log (rotated, pruned by retention, closed) is valid, signed and anchored', async () => {
    const { code, out } = await verify(copy());
    expect(out).toMatch(/✓ audit chain valid/);
    expect(out).toMatch(/signed checkpoint\(s\) verified/);
    expect(out).toMatch(/retention pruned seq 1–\d+, recorded and signed/);
    expect(out).toMatch(/audit-anchor\.json \(seq \d+\) is in the log, unchanged/);
    expect(code).toBe(0);
  });

  const current = (dir: string) => join(dir, AUDIT, 'audit.jsonl');

  it.each<[string, (dir: string) => void, RegExp]>([
    [
      'deleting the last 3 lines',
      (dir) => {
        const all = lines(current(dir));
        expect(all.length).toBeGreaterThan(3);
        write(current(dir), all.slice(0, -3));
      },
      /entries_missing_at_end\s+seq \d+–\d+ are missing/,
    ],
    [
      'cutting the last line short',
      (dir) => {
        const text = readFileSync(current(dir), 'utf8');
        writeFileSync(current(dir), text.slice(0, -30));
      },
      /entries_missing_at_end\s+seq \d+ is missing.*cut short/s,
    ],
    [
      'rewriting an entry and recomputing the hashes from there',
      (dir) => {
        const file = join(dir, AUDIT, rotated(dir).at(-1)!);
        const all = lines(file);
        all[2] = all[2]!.replace('"actor":"op-anchor"', '"actor":"mallory"');
        write(file, rechain(all, 2));
        // And the files after it, so the whole chain links again.
        const next = lines(current(dir));
        const last = JSON.parse(lines(file).at(-1)!) as { hash: string };
        const first: Record<string, unknown> = {
          ...(JSON.parse(next[0]!) as Record<string, unknown>),
          prev_hash: last.hash,
        };
        delete first['hash'];
        next[0] = serializeEntry({ ...first, hash: entryHash(first) });
        write(current(dir), rechain(next, 1));
      },
      /checkpoint_invalid\s+checkpoint seq \d+: .*seq \d+–\d+ were rewritten/,
    ],
    [
      'deleting a middle entry and recomputing',
      (dir) => {
        const all = lines(current(dir));
        all.splice(1, 1);
        write(current(dir), rechain(all, 1));
      },
      /checkpoint_invalid/,
    ],
    [
      'removing the first entries and naming the file like a rotated one',
      (dir) => {
        const [oldest] = rotated(dir);
        const file = join(dir, AUDIT, oldest!);
        const all = lines(file).slice(2);
        const first = (JSON.parse(all[0]!) as { seq: number }).seq;
        const last = (JSON.parse(all.at(-1)!) as { seq: number }).seq;
        unlinkSync(file);
        const pad = (n: number) => String(n).padStart(12, '0');
        write(join(dir, AUDIT, `audit.jsonl.${pad(first)}-${pad(last)}`), all);
      },
      /(deleted_not_pruned|file_name_mismatch)\s+seq \d+–\d+ are missing/,
    ],
    [
      'a forged audit.recover entry',
      (dir) => {
        const all = lines(current(dir));
        const garbage = all[1]!.slice(0, 40);
        const victim = JSON.parse(all[1]!) as Record<string, unknown>;
        const forged = {
          ...victim,
          actor: 'system',
          role: 'system',
          action: 'audit.recover',
          details: { torn_bytes: Buffer.byteLength(garbage), torn_sha256: sha256Hex(garbage) },
        };
        const chained = rechain([all[0]!, serializeEntry(forged), ...all.slice(2)], 1);
        write(current(dir), [chained[0]!, garbage, ...chained.slice(1)]);
      },
      /checkpoint_invalid|recovery_unsigned/,
    ],
    [
      'deleting the oldest rotated file (not by retention)',
      (dir) => unlinkSync(join(dir, AUDIT, rotated(dir)[0]!)),
      /deleted_not_pruned\s+seq \d+–\d+ are missing: their file was deleted, but no signed checkpoint records retention pruning them/,
    ],
  ])('detects %s and names what is missing or altered (exit 1)', async (_name, tamper, expected) => {
    const dir = copy();
    tamper(dir);
    const { code, out } = await verify(dir);
    expect(out).toMatch(/✗ audit chain broken at seq \d+/);
    expect(out).toMatch(expected);
    expect(code).toBe(1);
  });

  it('refuses to start on a log cut short behind its anchor, naming both, and writes nothing', async () => {
    const dir = copy();
    const all = lines(current(dir));
    write(current(dir), all.slice(0, -2));
    const result = await runCli(['serve'], { cwd: dir, env: baseEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /audit\.jsonl ends at seq \d+, but checkpoint seq \d+ is anchored in .*audit-anchor\.json/,
    );
    expect(lines(current(dir))).toHaveLength(all.length - 2);
  });
});

describe('the audit signing key at start-up', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  function keyIn(dir: string, mode: number): string {
    mkdirSync(join(dir, 'keys'), { recursive: true });
    const path = join(dir, 'keys', 'audit.pem');
    writeFileSync(path, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    chmodSync(path, mode);
    return path;
  }

  it('the two-command start generates one in the state directory (0600) and logs its id, never the key', async () => {
    const dir = tempDir();
    server = await startServer({ dir });
    const pem = readFileSync(join(dir, AUDIT, 'audit-signing-key.pem'), 'utf8');
    const notice = server.logs.find((l) =>
      String(l.msg).includes('generated an audit checkpoint signing key'),
    );
    expect(notice).toBeDefined();
    const body = pem.split('\n')[1]!;
    expect(JSON.stringify(server.logs)).not.toContain(body);
    expect(server.stderr()).not.toContain(body);
  });

  it('uses a configured key and refuses a group-readable one naming key, value and source', async () => {
    const dir = tempDir();
    const key = keyIn(dir, 0o640);
    const refused = await runCli(['serve'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: key }),
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `invalid config audit.signing_key_file="${key}" (from env ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE): the file is readable or writable by group or others (mode 0640)`,
    );
    chmodSync(key, 0o600);
    server = await startServer({ dir, env: { ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: key } });
    expect(server.logs.some((l) => String(l.msg).includes(`(audit.signing_key_file=${key}`))).toBe(true);
  });

  it('refuses a key the agents’ workspace would expose', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'ws'), { recursive: true });
    const key = keyIn(join(dir, 'ws'), 0o600);
    const result = await runCli(['serve'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: key, ORCHESTRATOR_TOOLS_WORKSPACE_ROOT: 'ws' }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/audit\.signing_key_file \(.*\) is inside tools\.workspace_root/);
  });

  it('a renamed key file is refused at the next start, not silently regenerated', async () => {
    const dir = tempDir();
    const key = keyIn(dir, 0o600);
    renameSync(key, `${key}.moved`);
    const result = await runCli(['serve'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: key }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/audit\.signing_key_file=.*cannot read it \(ENOENT\)/);
  });
});
