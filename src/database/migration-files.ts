import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Migration } from './migration-plan.js';

/** Where the shipped migrations live (copied beside the compiled code by `npm run build`). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * The migrations of a directory in version order. A stray file, a duplicate version or a gap in the
 * numbering is a packaging mistake: refused here rather than applied in a surprising order.
 */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) throw new Error(`${join(dir, file)}: a migration file is named NNNN_name.sql`);
    const sql = readFileSync(join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version: Number(match[1]), name: match[2]!, checksum, sql });
  }
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `${dir}: migrations must be numbered 0001, 0002, … without gaps; found ${m.version} at ${i + 1}`,
      );
  });
  return migrations;
}
