import { type Command } from 'commander';
import { redactUrlCredentials } from '../../common/domain/url-credentials.js';
import { loadConfig } from '../../config/config.loader.js';
import { databaseTarget, type DatabaseTarget } from '../database-target.js';
import { label } from '../migration-plan.js';
import { readMigrations } from '../migration-files.js';
import { type Migrator, type MigrationStatus } from '../migrator.js';

/** `orchestrator db migrate` and `db status`: the PostgreSQL schema, forward-only. */
export function registerDatabaseCommands(program: Command): void {
  const db = program.command('db').description('the PostgreSQL database (database.url)');
  db.command('status')
    .description('show applied and pending migrations; exit 2 when the database does not match this code')
    .option('-c, --config <path>', 'config file')
    .option('--json', 'print JSON instead of text')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const target = databaseTarget(loadConfig({ configPath: opts.config }));
      const status = await withMigrator(target, (m) => m.status());
      process.stdout.write(
        opts.json ? `${JSON.stringify(statusJson(target, status), null, 2)}\n` : statusText(target, status),
      );
      if (status.problems.length > 0) process.exitCode = 2;
    });
  db.command('migrate')
    .description('apply pending migrations (safe while other instances start: they wait for each other)')
    .option('-c, --config <path>', 'config file')
    .action(async (opts: { config?: string }) => {
      const target = databaseTarget(loadConfig({ configPath: opts.config }));
      const { status, applied } = await withMigrator(target, (m) => m.migrate());
      for (const a of applied) process.stdout.write(`applied ${label(a)} (${a.ms} ms)\n`);
      process.stdout.write(
        applied.length > 0
          ? `${describe(target)} is at version ${status.version}\n`
          : `${describe(target)} is up to date at version ${status.version}\n`,
      );
    });
}

async function withMigrator<T>(target: DatabaseTarget, work: (m: Migrator) => Promise<T>): Promise<T> {
  const migrations = readMigrations();
  // Loaded on demand: `pg` is not needed by the other commands (the hook runs on every tool call).
  const { connectDatabase } = await import('../database-connection.js');
  const { Migrator } = await import('../migrator.js');
  // Migrations may build indexes for minutes: no statement timeout on this session.
  const client = await connectDatabase(target, { applicationName: 'orchestrator db', statementTimeoutMs: 0 });
  try {
    return await work(new Migrator(client, target.schema, migrations));
  } finally {
    await client.end().catch(() => undefined);
  }
}

function describe(target: DatabaseTarget): string {
  return `${redactUrlCredentials(target.url)} schema ${target.schema}`;
}

function statusText(target: DatabaseTarget, status: MigrationStatus): string {
  const lines = [`${describe(target)}: version ${status.version} of ${status.latest}${summary(status)}`];
  for (const a of status.applied)
    lines.push(`  applied  ${label(a)}  ${a.appliedAt}  sha256:${a.checksum.slice(0, 12)}`);
  for (const p of status.pending) lines.push(`  pending  ${label(p)}`);
  for (const p of status.problems) lines.push(`  error    ${p.code}: ${p.message}`);
  return `${lines.join('\n')}\n`;
}

function summary(status: MigrationStatus): string {
  if (status.problems.length > 0) return ' (refused: does not match this code)';
  if (status.pending.length > 0)
    return ` (${status.pending.length} pending: run \`orchestrator db migrate\`)`;
  return ' (up to date)';
}

function statusJson(target: DatabaseTarget, status: MigrationStatus) {
  return {
    database: redactUrlCredentials(target.url),
    schema: status.schema,
    version: status.version,
    latest: status.latest,
    applied: status.applied,
    pending: status.pending.map((p) => ({ version: p.version, name: p.name, checksum: p.checksum })),
    problems: status.problems,
  };
}
