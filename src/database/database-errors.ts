import { redactUrlCredentials } from '../common/domain/url-credentials.js';

/** The database cannot be reached or refuses us; exit 2 with one line naming the key (password hidden). */
export class DatabaseUnavailableError extends Error {
  readonly exitCode = 2;
  constructor(url: string, source: string, cause: unknown) {
    super(
      redactUrlCredentials(
        `database.url=${url} (from ${source}) cannot be used: ${(cause as Error)?.message ?? String(cause)}`,
      ),
    );
    this.name = 'DatabaseUnavailableError';
  }
}

/** The database's migrations do not match this code; nothing was applied (exit 2). */
export class MigrationRefusedError extends Error {
  readonly exitCode = 2;
  constructor(
    readonly codes: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'MigrationRefusedError';
  }
}

/** A migration's SQL failed; its transaction rolled back, so the database stays at the version before it. */
export class MigrationFailedError extends Error {
  readonly exitCode = 2;
  constructor(label: string, cause: unknown) {
    super(
      `migration ${label} failed and was rolled back: ${redactUrlCredentials((cause as Error)?.message ?? String(cause))}`,
    );
    this.name = 'MigrationFailedError';
  }
}
