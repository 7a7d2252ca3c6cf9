import { backupKindOf } from './backup-kind.js';
import { PG_BACKUP_FORMAT } from './postgres/backup/backup-format.js';
import { SNAPSHOT_FORMAT } from './file/snapshot-file.js';

const bytes = (text: string) => Buffer.from(text);

describe('backupKindOf', () => {
  it('names the store by the format marker each writes first', () => {
    expect(
      backupKindOf(bytes(`{"format":"${SNAPSHOT_FORMAT}","version":2,"tasks":[\n],"line_crc32":""}\n`)),
    ).toBe('file');
    expect(backupKindOf(bytes(`{"format":"${PG_BACKUP_FORMAT}","version":1,"backend":"postgres"}\n`))).toBe(
      'postgres',
    );
    expect(backupKindOf(bytes(`{\n  "format": "${SNAPSHOT_FORMAT}",\n  "version": 1\n}\n`))).toBe('file');
  });

  it('reads only the top-level marker: a task quoting the other format is not taken for it', () => {
    // A postgres backup is one line; a title naming the snapshot format used to make it a file-store backup.
    const quoting = JSON.stringify({
      format: PG_BACKUP_FORMAT,
      content: { tasks: [{ title: `move off ${SNAPSHOT_FORMAT}`, note: `"format":"${SNAPSHOT_FORMAT}"` }] },
    });
    expect(backupKindOf(bytes(quoting))).toBe('postgres');
    expect(backupKindOf(bytes(JSON.stringify({ title: `"format":"${PG_BACKUP_FORMAT}"` })))).toBe('unknown');
    expect(backupKindOf(bytes(JSON.stringify({ version: 1, format: PG_BACKUP_FORMAT })))).toBe('unknown');
  });

  it('is unknown for anything else', () => {
    expect(backupKindOf(bytes(''))).toBe('unknown');
    expect(backupKindOf(bytes('{"format":"something-else"}'))).toBe('unknown');
    expect(backupKindOf(bytes(`not json ${PG_BACKUP_FORMAT}`))).toBe('unknown');
  });
});
