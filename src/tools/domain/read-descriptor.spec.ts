import {
  constants,
  fstatSync,
  mkdtempSync,
  openSync,
  closeSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadDescriptor } from './read-descriptor.js';

describe('ReadDescriptor', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'read-descriptor-'));
    writeFileSync(join(dir, 'a.txt'), 'hello');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads at a position and closes its descriptor', async () => {
    const file = await ReadDescriptor.open(join(dir, 'a.txt'), constants.O_RDONLY);
    const buffer = Buffer.alloc(3);
    await expect(file.read(buffer, 0, 3, 2)).resolves.toEqual({ bytesRead: 3 });
    expect(buffer.toString()).toBe('llo');
    await file.close();
    expect(() => fstatSync(file.fd)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    await expect(file.read(buffer, 0, 1, 0)).rejects.toThrow(/closed/);
  });

  it('closes once: a second close leaves a file that reused the number open', async () => {
    const file = await ReadDescriptor.open(join(dir, 'a.txt'), constants.O_RDONLY);
    await file.close();
    const reused = openSync(join(dir, 'a.txt'), constants.O_RDONLY);
    try {
      expect(reused).toBe(file.fd); // the kernel hands out the lowest free number
      await file.close();
      expect(fstatSync(reused).size).toBe(5);
    } finally {
      closeSync(reused);
    }
  });

  it('rejects with the errno of a failed open (O_NOFOLLOW on a symlink: ELOOP)', async () => {
    await expect(ReadDescriptor.open(join(dir, 'missing'), constants.O_RDONLY)).rejects.toMatchObject({
      code: 'ENOENT',
    });
    symlinkSync(join(dir, 'a.txt'), join(dir, 'link'));
    const flags = constants.O_RDONLY | constants.O_NOFOLLOW;
    await expect(ReadDescriptor.open(join(dir, 'link'), flags)).rejects.toMatchObject({ code: 'ELOOP' });
  });
});
