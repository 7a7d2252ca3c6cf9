import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventCursorFile } from './event-cursor-file.js';
import { CliUsageError } from './operator-cli.errors.js';

describe('EventCursorFile', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'opscli-cursor-'));

  it('is empty before the first write, then holds the last id written (no temp file left)', () => {
    const where = dir();
    const cursor = new EventCursorFile(join(where, 'cursor'));
    expect(cursor.read()).toBeUndefined();
    cursor.write(1796305294057001);
    cursor.write(1796305294057002);
    expect(cursor.read()).toBe(1796305294057002);
    expect(readFileSync(join(where, 'cursor'), 'utf8')).toBe('1796305294057002\n');
    expect(readdirSync(where)).toEqual(['cursor']);
  });

  it.each(['', 'abc', '-1', '1.5', '99999999999999999'])('refuses content %j as a usage error', (content) => {
    const path = join(dir(), 'cursor');
    writeFileSync(path, content);
    expect(() => new EventCursorFile(path).read()).toThrow(CliUsageError);
  });
});
