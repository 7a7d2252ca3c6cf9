import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OrchestratorConfig } from './config.schema.js';

/** The configuration table in docs/CONFIGURATION.md must match the config classes. */
describe('docs/CONFIGURATION.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../docs/CONFIGURATION.md', import.meta.url)), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- config-table'));
  const documented = new Map<string, string>();
  for (const match of table.matchAll(/^\| `([a-z_]+\.[a-z_]+)`\s*\| ([^|]+?)\s*\|/gm))
    documented.set(match[1], match[2].trim());

  const defaults = new OrchestratorConfig() as unknown as Record<string, Record<string, unknown>>;
  const actual = new Map<string, unknown>();
  for (const [section, values] of Object.entries(defaults)) {
    for (const [key, value] of Object.entries(values)) actual.set(`${section}.${key}`, value);
  }

  it('documents every key and no other', () => {
    expect([...documented.keys()].sort()).toEqual([...actual.keys()].sort());
  });

  it('states each default as the code has it', () => {
    for (const [key, value] of actual) {
      const shown =
        value === null ? '_(none)_' : `\`${Array.isArray(value) ? JSON.stringify(value) : String(value)}\``;
      expect(`${key} = ${documented.get(key)}`).toBe(`${key} = ${shown}`);
    }
  });
});
