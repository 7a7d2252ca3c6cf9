import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditConfig } from '../config/config.schema.js';
import { JsonlAuditStore } from './file/jsonl-audit.store.js';
import { MemoryAuditStore } from './memory-audit.store.js';
import { openAuditStore } from './open-audit-store.js';

describe('openAuditStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-open-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('opens the configured file relative to the base directory, with its rotation limits and secrets', async () => {
    const config = Object.assign(new AuditConfig(), {
      audit_file: 'logs/audit.jsonl',
      max_entries: 2,
      retain_files: 1,
    });
    const store = await openAuditStore({ config, baseDir: dir, secrets: ['a-signing-secret-value'] });
    expect(store).toBeInstanceOf(JsonlAuditStore);
    for (let i = 0; i < 7; i++) {
      await store.append({
        actor: 'x',
        action: 'token.mint',
        decision: 'allowed',
        success: true,
        args: { note: 'a-signing-secret-value' },
      });
    }
    await store.close();
    const names = (await readdir(join(dir, 'logs'))).sort();
    // Seven entries plus the audit.prune entries retention wrote before each deletion.
    expect(names).toEqual(['audit.jsonl', 'audit.jsonl.000000000007-000000000008']);
    expect(await readFile(join(dir, 'logs', 'audit.jsonl'), 'utf8')).not.toContain('a-signing-secret-value');
  });

  it('passes start-up warnings to onWarning', async () => {
    const config = Object.assign(new AuditConfig(), { audit_file: join(dir, 'torn', 'audit.jsonl') });
    const first = await openAuditStore({ config, baseDir: '/' });
    await first.append({ actor: 'x', action: 'task.claim', decision: 'n/a', success: true });
    await first.close();
    const { appendFile } = await import('node:fs/promises');
    await appendFile(config.audit_file, '{"seq":2');
    const warnings: string[] = [];
    const store = await openAuditStore({ config, baseDir: '/', onWarning: (w) => warnings.push(w.code) });
    expect(warnings).toEqual(['audit_torn_tail']);
    await store.close();
  });

  it('gives a memory store for the memory backend', async () => {
    const store = await openAuditStore({ config: new AuditConfig(), baseDir: dir, backend: 'memory' });
    expect(store).toBeInstanceOf(MemoryAuditStore);
  });
});
