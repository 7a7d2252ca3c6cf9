/** A migration the code ships: `NNNN_name.sql`, its text and the SHA-256 of that text. */
export interface Migration {
  version: number;
  name: string;
  checksum: string;
  sql: string;
}

/** A row of `schema_migrations`: what a database says was applied. */
export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: string;
}

export type MigrationProblemCode =
  'migration_checksum_mismatch' | 'migration_missing_from_code' | 'database_newer_than_code';

/** Why a database cannot be migrated by this code; each one stops start-up and `db migrate`. */
export interface MigrationProblem {
  code: MigrationProblemCode;
  version: number;
  message: string;
}

export interface MigrationPlan {
  applied: readonly AppliedMigration[];
  pending: readonly Migration[];
  problems: readonly MigrationProblem[];
}

/**
 * Compares the code's migrations with a database's record. An applied file whose text changed, an
 * applied version the code does not have, or a database ahead of the code (an old replica during a
 * rollback) are problems: migrating then would run the wrong schema, so nothing is applied.
 */
export function planMigrations(
  code: readonly Migration[],
  applied: readonly AppliedMigration[],
): MigrationPlan {
  const byVersion = new Map(code.map((m) => [m.version, m]));
  const latest = code.reduce((max, m) => Math.max(max, m.version), 0);
  const problems: MigrationProblem[] = [];
  for (const row of applied) {
    const mine = byVersion.get(row.version);
    if (row.version > latest) {
      problems.push({
        code: 'database_newer_than_code',
        version: row.version,
        message: `the database has migration ${label(row)} but this code knows versions up to ${latest}: run a newer orchestrator`,
      });
    } else if (!mine) {
      problems.push({
        code: 'migration_missing_from_code',
        version: row.version,
        message: `the database has migration ${label(row)}, which this code does not ship`,
      });
    } else if (mine.checksum !== row.checksum) {
      problems.push({
        code: 'migration_checksum_mismatch',
        version: row.version,
        message: `migration ${label(mine)} was applied with checksum ${row.checksum.slice(0, 12)}… but the file now has ${mine.checksum.slice(0, 12)}…: an applied migration must never change; add a new one`,
      });
    }
  }
  const done = new Set(applied.map((row) => row.version));
  const pending = code.filter((m) => !done.has(m.version)).sort((a, b) => a.version - b.version);
  return { applied, pending: problems.length > 0 ? [] : pending, problems };
}

/** `0001_init`: how a migration is named in messages. */
export function label(m: { version: number; name: string }): string {
  return `${String(m.version).padStart(4, '0')}_${m.name}`;
}
