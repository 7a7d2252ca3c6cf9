import pg from 'pg';
import { MigrationFailedError, MigrationRefusedError } from './database-errors.js';
import {
  label,
  planMigrations,
  type AppliedMigration,
  type Migration,
  type MigrationPlan,
} from './migration-plan.js';

/** Advisory-lock key every migrator takes, so replicas starting together apply each file once. */
const MIGRATION_LOCK = 'orchestrator.migrations';

export interface MigrationStatus extends MigrationPlan {
  schema: string;
  /** Highest applied version (0 for an empty database). */
  version: number;
  /** Highest version this code ships. */
  latest: number;
}

export interface AppliedReport {
  version: number;
  name: string;
  ms: number;
}

/**
 * Applies the shipped SQL migrations to one schema, forward only. Each file runs in its own
 * transaction together with its `schema_migrations` row, under a session advisory lock.
 */
export class Migrator {
  constructor(
    private readonly client: pg.ClientBase,
    private readonly schema: string,
    private readonly migrations: readonly Migration[],
  ) {}

  /** What is applied and pending, read-only (an absent schema is an empty database). */
  async status(): Promise<MigrationStatus> {
    return this.describe(await this.readApplied());
  }

  /** Applies what is pending; refuses (applying nothing) when the database does not match the code. */
  async migrate(): Promise<{ status: MigrationStatus; applied: AppliedReport[] }> {
    await this.client.query('SELECT pg_advisory_lock(hashtext($1))', [MIGRATION_LOCK]);
    try {
      await this.client.query(`CREATE SCHEMA IF NOT EXISTS ${this.ident()}`);
      await this.client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table()} (version int PRIMARY KEY, name text NOT NULL,
           checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const plan = this.describe(await this.readApplied());
      refuseProblems(plan);
      const applied: AppliedReport[] = [];
      for (const migration of plan.pending) applied.push(await this.apply(migration));
      return { status: await this.status(), applied };
    } finally {
      await this.client.query('SELECT pg_advisory_unlock(hashtext($1))', [MIGRATION_LOCK]);
    }
  }

  private async apply(migration: Migration): Promise<AppliedReport> {
    const started = performance.now();
    await this.client.query('BEGIN');
    try {
      await this.client.query(`SET LOCAL search_path TO ${this.ident()}`);
      await this.client.query(migration.sql);
      await this.client.query(`INSERT INTO ${this.table()} (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw new MigrationFailedError(label(migration), error);
    }
    return { version: migration.version, name: migration.name, ms: Math.round(performance.now() - started) };
  }

  private async readApplied(): Promise<AppliedMigration[]> {
    const exists = await this.client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
      `${this.ident()}.schema_migrations`,
    ]);
    if (!exists.rows[0]?.t) return [];
    const rows = await this.client.query<{
      version: number;
      name: string;
      checksum: string;
      applied_at: Date;
    }>(`SELECT version, name, checksum, applied_at FROM ${this.table()} ORDER BY version`);
    return rows.rows.map((r) => ({
      version: r.version,
      name: r.name,
      checksum: r.checksum,
      appliedAt: r.applied_at.toISOString(),
    }));
  }

  private describe(applied: AppliedMigration[]): MigrationStatus {
    const plan = planMigrations(this.migrations, applied);
    return {
      ...plan,
      schema: this.schema,
      version: applied.reduce((max, m) => Math.max(max, m.version), 0),
      latest: this.migrations.reduce((max, m) => Math.max(max, m.version), 0),
    };
  }

  private ident(): string {
    return pg.escapeIdentifier(this.schema);
  }

  private table(): string {
    return `${this.ident()}.schema_migrations`;
  }
}

function refuseProblems(plan: MigrationPlan): void {
  if (plan.problems.length === 0) return;
  throw new MigrationRefusedError(
    plan.problems.map((p) => p.code),
    `the database does not match this code, nothing was migrated: ${plan.problems.map((p) => p.message).join('; ')}`,
  );
}
