import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { openDatabasePool } from '../src/database/database-pool.js';
import { createTestDatabase, type TestDatabase } from '../src/database/testing/test-database.js';
import { rewriteAuditEntry, truncateAuditTable } from '../src/audit/postgres/testing/tamper-audit-table.js';
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

const POSTGRES = 'state:\n  backend: postgres\n';

/**
 * A postgres server signs its audit chain; an operator exports the anchor and the public key, and
 * `orchestrator audit verify` then catches what a database user does with plain SQL. Before the
 * postgres chain was signed, every one of these tamperings verified as valid.
 */
describe('audit verify on state.backend: postgres against a database user', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let server: ServerProcess | undefined;
  let dir: string;
  let env: Record<string, string>;
  const keys = tempDir();
  const publicKey = join(keys, 'audit.pub');
  const anchorFile = join(keys, 'anchor.json');

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = openDatabasePool(
      {
        url: db.url,
        source: 'test',
        schema: 'orchestrator',
        statementTimeoutMs: 10_000,
        connectTimeoutMs: 5_000,
      },
      { applicationName: 'orchestrator db', size: 2 },
    );
    // The key kept apart from the state, as in production; its public half goes off the host.
    const { privateKey } = generateKeyPairSync('ed25519');
    mkdirSync(join(keys, 'private'), { mode: 0o700 });
    const keyFile = join(keys, 'private', 'audit-signing-key.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicKey, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
    env = {
      ORCHESTRATOR_DATABASE_URL: db.url,
      ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: keyFile,
      ORCHESTRATOR_AUDIT_CHECKPOINT_EVERY_ENTRIES: '5',
    };
    dir = tempDir();
    server = await startServer({ dir, configYaml: POSTGRES, env });
    const operator = accessToken('operator', 'pg-audit-op');
    const http = api(server.url);
    for (let i = 0; i < 12; i++) await http.post('/api/v1/tasks', operator, { title: `t${i}` });
    const verify = await http.get<{ valid: boolean; signatures_checked: boolean; checkpoints: number }>(
      '/api/v1/audit/verify',
      operator,
    );
    expect(verify.body).toMatchObject({ valid: true, signatures_checked: true });
    expect(verify.body.checkpoints).toBeGreaterThanOrEqual(2);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/orchestrator_audit_anchored_seq [1-9]\d*/);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(JSON.stringify(server.logs)).toMatch(/audit checkpoint seq=\d+ hash=[0-9a-f]{64}/);
  });
  afterAll(async () => {
    await disposeServer(server);
    await pool?.end();
    await db.drop();
  });

  const cli = (args: string[]) => runCli(args, { cwd: dir, env: baseEnv(env) });
  const verify = (...extra: string[]) => cli(['audit', 'verify', '--public-key', publicKey, ...extra]);

  it('audit tail prints the latest entries of the database chain, oldest first, as they were hashed', async () => {
    const result = await cli(['audit', 'tail', '-n', '3']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const seqs = lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
    const head = await pool.query<{ seq: string; line: string }>(
      'SELECT seq, entry::text AS line FROM audit_entries ORDER BY seq DESC LIMIT 3',
    );
    expect(seqs).toEqual(head.rows.map((r) => Number(r.seq)).reverse());
    expect(lines).toEqual(head.rows.map((r) => r.line).reverse());
  });

  it('exports the anchor, and verifies the chain with the public key and the exported anchor', async () => {
    expect((await cli(['audit', 'anchor', '--out', anchorFile])).code).toBe(0);
    const result = await verify('--anchor', anchorFile);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ audit chain valid');
    expect(result.stdout).toMatch(
      /\d+ signed checkpoint\(s\) verified, the last at seq \d+; 0 entries after it/,
    );
    expect(result.stdout).toContain(`the checkpoint anchored in ${anchorFile}`);
    // Checkpoints signed by a key the verifier does not trust are refused.
    const stranger = join(keys, 'stranger.pub');
    writeFileSync(stranger, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const refused = await cli(['audit', 'verify', '--public-key', stranger, '--anchor', anchorFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('checkpoint_invalid');
    expect(refused.stderr).toContain('not a trusted public key');
  });

  it('catches the last entries deleted, the head moved back and the anchors dropped, given the exported anchor', async () => {
    await pool.query('CREATE TABLE saved_entries AS SELECT * FROM audit_entries');
    await pool.query('CREATE TABLE saved_anchors AS SELECT * FROM audit_anchors');
    const { rows } = await pool.query<{ seq: string }>("SELECT seq FROM chain_heads WHERE name = 'audit'");
    const last = Number(rows[0]!.seq);
    await truncateAuditTable(pool, last - 2);
    await pool.query('DELETE FROM audit_anchors');
    // The database alone no longer shows it: its anchor is gone with the evidence.
    const inside = await verify('--json');
    expect(JSON.parse(inside.stdout)).toMatchObject({
      valid: false,
      first_broken: { reason: 'anchor_missing' },
    });
    const result = await verify('--anchor', anchorFile);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`audit chain broken at seq ${last - 2}`);
    expect(result.stderr).toContain('entries_missing_at_end');

    // Put it back, as a restore would: valid again.
    await pool.query('DELETE FROM audit_entries');
    await pool.query('INSERT INTO audit_entries SELECT * FROM saved_entries');
    await pool.query('INSERT INTO audit_anchors OVERRIDING SYSTEM VALUE SELECT * FROM saved_anchors');
    const head = await pool.query<{ hash: string }>('SELECT hash FROM audit_entries WHERE seq = $1', [last]);
    await pool.query("UPDATE chain_heads SET seq = $1, hash = $2 WHERE name = 'audit'", [
      last,
      head.rows[0]!.hash,
    ]);
    expect((await verify('--anchor', anchorFile)).code).toBe(0);
  });

  it('catches an entry rewritten with the chain and the head recomputed, and the server refuses to start over it', async () => {
    await rewriteAuditEntry(pool, 3, (e) => ({ ...e, actor: 'nobody' }));
    const result = await verify('--anchor', anchorFile);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('checkpoint_invalid');
    expect(result.stderr).toMatch(/seq 1–\d+ were rewritten, removed or inserted/);
    await expect(startServer({ dir, env })).rejects.toThrow(
      /audit_anchor_mismatch|not the checkpoint anchored/,
    );
  });
});
