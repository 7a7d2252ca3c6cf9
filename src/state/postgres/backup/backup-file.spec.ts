import { DomainError } from '../../../common/domain/domain-error.js';
import { SNAPSHOT_FORMAT } from '../../file/snapshot-file.js';
import type { Task } from '../../../tasks/domain/task.model.js';
import { parseBackup } from './backup-file.js';
import { contentDigest, PG_BACKUP_FORMAT, type BackupContent } from './backup-format.js';

const SOURCE = '/backups/pg.json';

function backupText(content: BackupContent, overrides: Record<string, unknown> = {}): string {
  const body = {
    format: PG_BACKUP_FORMAT,
    version: 1,
    backend: 'postgres',
    schema_version: 3,
    written_at: '2026-01-01T00:00:00.000Z',
    digest: contentDigest(content),
    content,
    ...overrides,
  };
  return `${JSON.stringify(body)}\n`;
}

const content: BackupContent = {
  tasks: [{ id: 'task-1', title: `leave ${SNAPSHOT_FORMAT} behind` } as unknown as Task],
  dependencies: [],
  revocations: [{ jti: 'j1', expires_at: '2026-01-02T00:00:00.000Z' }],
  idempotency_keys: [{ key: 'k1', response: { id: 'task-1' }, expires_at: '2026-01-02T00:00:00.000Z' }],
};

/** The refusal's code and message, or null when the file parses. */
function refusal(text: string): { code: string; message: string } | null {
  try {
    parseBackup(Buffer.from(text), SOURCE);
    return null;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { code: error.code, message: error.message };
  }
}

describe('parseBackup (postgres)', () => {
  it('accepts what backup writes, even a task quoting the file-store format', () => {
    expect(refusal(backupText(content))).toBeNull();
    expect(parseBackup(Buffer.from(backupText(content)), SOURCE).content).toEqual(content);
  });

  it('refuses an edited content, whatever part was edited: the digest no longer matches', () => {
    const text = backupText(content);
    for (const edited of [text.replace('"j1"', '"j2"'), text.replace('"task-1"}', '"task-9"}')]) {
      expect(edited).not.toBe(text);
      expect(refusal(edited)).toEqual({
        code: 'state_damaged',
        message: expect.stringMatching(
          /^The backup \/backups\/pg\.json cannot be restored: its digest sha256:\S+ does not match its content .*Nothing was changed$/,
        ) as unknown,
      });
    }
  });

  it('refuses a file cut short at any point', () => {
    const text = backupText(content);
    for (const length of [0, 1, 40, Math.floor(text.length / 2), text.length - 3])
      expect(refusal(text.slice(0, length))?.code).toBe('state_damaged');
    expect(refusal(text.slice(0, 40))?.message).toContain('it is not valid JSON');
  });

  it('refuses a file-store backup by name, and other versions and backends', () => {
    expect(
      refusal(`{"format":"${SNAPSHOT_FORMAT}","version":2,"tasks":[\n],"line_crc32":""}\n`)?.message,
    ).toContain('it is a file-store backup (state.backend: file)');
    expect(refusal(backupText(content, { version: 2 }))?.message).toContain('its version 2 is not 1');
    expect(refusal(backupText(content, { backend: 'file' }))?.message).toContain('its backend is file');
    expect(refusal(backupText(content, { format: 'x' }))?.message).toContain('marker');
    expect(refusal(backupText(content, { schema_version: '3' }))?.message).toContain('no schema_version');
  });
});
