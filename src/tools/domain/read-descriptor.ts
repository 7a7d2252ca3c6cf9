import { closeSync, open, openSync, read } from 'node:fs';

/** What the file tools read an open file through; a `FileHandle` has the same shape. */
export interface FileReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * A file descriptor opened read-only, without a `FileHandle`: the open and each read are one
 * thread-pool round trip each (a `FileHandle` costs more per call), and `close` is synchronous —
 * closing a read-only descriptor of a local file writes nothing back, so it needs no round trip.
 * Closed at most once: a second `close` does nothing, so the number cannot close a later file.
 */
export class ReadDescriptor implements FileReader {
  private closed = false;

  private constructor(readonly fd: number) {}

  static open(path: string, flags: number): Promise<ReadDescriptor> {
    return new Promise((resolve, reject) => {
      open(path, flags, (error, fd) => (error ? reject(error) : resolve(new ReadDescriptor(fd))));
    });
  }

  /**
   * Synchronous: only for a file already located by a descriptor we hold (`/proc/self/fd/N`),
   * whose open walks no directory and reads no data. A thread-pool round trip costs 25-50 µs of
   * CPU on this kind of host, more than the system call.
   */
  static openLocated(path: string, flags: number): ReadDescriptor {
    return new ReadDescriptor(openSync(path, flags));
  }

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (this.closed) return Promise.reject(new Error('read of a closed descriptor'));
    return new Promise((resolve, reject) => {
      read(this.fd, buffer, offset, length, position, (error, bytesRead) =>
        error ? reject(error) : resolve({ bytesRead }),
      );
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      try {
        closeSync(this.fd);
      } catch {
        // Linux releases the descriptor even when close reports an error; there is nothing to retry.
      }
    }
    return Promise.resolve();
  }
}
