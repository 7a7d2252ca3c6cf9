import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The Dockerfile's build stage cannot be built here (no engine): check that it copies every file
 * `npm run build` reads, and that the build puts the files the code reads at run time into dist/.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
const buildStage = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '));
const buildScript = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } }
).scripts.build;

/** Sources of the build stage's COPY lines (not the ones from another stage). */
function copiedPaths(): string[] {
  return [...buildStage.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
    m[1]!.trim().split(/\s+/).slice(0, -1),
  );
}

describe('the Dockerfile build stage', () => {
  it('copies every file `npm run build` names, and src', () => {
    const named = [...buildScript.matchAll(/(?:-p |node )(\S+)/g)].map((m) => m[1]!);
    expect(named).toEqual(expect.arrayContaining(['tsconfig.build.json', 'scripts/copy-build-assets.mjs']));
    const copied = copiedPaths();
    for (const path of [...named, 'src', 'tsconfig.json']) {
      expect({ path, copied: copied.some((c) => c === path || c.replace(/\/$/, '') === path) }).toEqual({
        path,
        copied: true,
      });
    }
  });

  it('the build puts the SQL migrations beside the compiled code', () => {
    expect(existsSync(join(ROOT, 'dist/database/migrations/0001_init.sql'))).toBe(true);
  });
});
