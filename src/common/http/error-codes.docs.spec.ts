import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every error code the code can answer with, read from the source. */
function codesInSource(): Set<string> {
  const codes = new Set<string>();
  const thrown =
    /new (?:InvalidInputError|UnauthorizedError|ForbiddenError|NotFoundError|ConflictError|UnavailableError)\(\s*'([a-z_]+)'/g;
  const generic = /new DomainError\(\s*'[a-z_]+',\s*'([a-z_]+)'/g;
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(thrown)) codes.add(m[1]);
    for (const m of text.matchAll(generic)) codes.add(m[1]);
  }
  const http = readFileSync(join(root, 'src/common/http/error-body.ts'), 'utf8');
  for (const m of http.matchAll(/: '([a-z_]+)',?\n/g)) codes.add(m[1]);
  codes.add('internal_error');
  codes.add('route_not_found');
  return codes;
}

describe('docs/API.md error codes', () => {
  const doc = readFileSync(join(root, 'docs/API.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- error-codes'));
  const documented = new Set([...table.matchAll(/^\| `([a-z_]+)`\s*\|/gm)].map((m) => m[1]));

  it('documents every code the server can answer with', () => {
    const missing = [...codesInSource()].filter((code) => !documented.has(code)).sort();
    expect(missing).toEqual([]);
  });

  it('documents no code the server cannot answer with', () => {
    const source = codesInSource();
    const stale = [...documented].filter((code) => !source.has(code)).sort();
    expect(stale).toEqual([]);
  });
});
