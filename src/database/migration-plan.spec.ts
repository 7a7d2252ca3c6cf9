import { planMigrations, type AppliedMigration, type Migration } from './migration-plan.js';

const code: Migration[] = [
  { version: 1, name: 'init', checksum: 'a'.repeat(64), sql: 'select 1' },
  { version: 2, name: 'more', checksum: 'b'.repeat(64), sql: 'select 2' },
];
const applied = (version: number, checksum: string): AppliedMigration => ({
  version,
  name: version === 1 ? 'init' : 'more',
  checksum,
  appliedAt: '2026-12-02T00:00:00Z',
});

describe('planMigrations', () => {
  it('plans every migration for an empty database, in order', () => {
    const plan = planMigrations([code[1]!, code[0]!], []);
    expect(plan.pending.map((m) => m.version)).toEqual([1, 2]);
    expect(plan.problems).toEqual([]);
  });

  it('plans only what is not applied', () => {
    const plan = planMigrations(code, [applied(1, 'a'.repeat(64))]);
    expect(plan.pending.map((m) => m.version)).toEqual([2]);
  });

  it('refuses an applied migration whose file changed, and plans nothing', () => {
    const plan = planMigrations(code, [applied(1, 'c'.repeat(64))]);
    expect(plan.problems.map((p) => p.code)).toEqual(['migration_checksum_mismatch']);
    expect(plan.problems[0]!.message).toContain('0001_init');
    expect(plan.pending).toEqual([]);
  });

  it('refuses a database newer than the code', () => {
    const plan = planMigrations(code, [
      applied(1, 'a'.repeat(64)),
      applied(2, 'b'.repeat(64)),
      applied(3, 'x'),
    ]);
    expect(plan.problems.map((p) => p.code)).toEqual(['database_newer_than_code']);
    expect(plan.problems[0]!.message).toContain('up to 2');
  });

  it('refuses an applied version the code does not ship', () => {
    const plan = planMigrations([code[1]!], [applied(1, 'a'.repeat(64))]);
    expect(plan.problems.map((p) => p.code)).toEqual(['migration_missing_from_code']);
  });
});
