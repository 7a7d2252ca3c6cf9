/**
 * A reason the server refuses to start (port taken, directory not writable, state locked…).
 * Printed as one line; the process exits 2, like a configuration error.
 */
export class StartupError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
