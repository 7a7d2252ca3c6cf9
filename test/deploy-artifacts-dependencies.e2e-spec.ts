import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import semver from 'semver';

/**
 * `npm ci` on the Node we claim must print no warning we did not choose: every locked package's
 * `engines.node` holds for the whole of package.json's `engines.node`, for the Node of the
 * Dockerfile and for the Node CI runs on; no telemetry; every install script decided.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const readJson = <T>(path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;

interface Manifest {
  engines: { node: string };
  allowScripts?: Record<string, boolean>;
  scarfSettings?: { enabled?: boolean };
}
interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
}

const manifest = readJson<Manifest>('package.json');
const locked = Object.entries(readJson<{ packages: Record<string, LockEntry> }>('package-lock.json').packages)
  .filter(([path]) => path !== '')
  .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 13), path, entry }));

/** `FROM node:20-slim` in every stage: the newest 20.x, as far as engines admits it. */
function dockerfileNode(): string {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const majors = [...dockerfile.matchAll(/^FROM node:(\d+)[-\w.]*/gm)].map((m) => m[1]);
  expect(majors.length).toBe(2);
  expect(new Set(majors).size).toBe(1);
  return manifest.engines.node
    .split('||')
    .map((part) => `${part.trim()} ${majors[0]}.x`)
    .filter((part) => semver.minVersion(part) !== null)
    .join(' || ');
}

function nodeRange(entry: LockEntry): string | null {
  return entry.engines && !Array.isArray(entry.engines) ? (entry.engines.node ?? null) : null;
}

describe('Node.js version', () => {
  it('package.json engines, the Dockerfile and the Node running CI agree', () => {
    expect(semver.validRange(manifest.engines.node)).not.toBeNull();
    expect(dockerfileNode()).not.toBe('');
    expect([process.version, semver.satisfies(process.version, manifest.engines.node)]).toEqual([
      process.version,
      true,
    ]);
  });

  it('every locked package supports every Node we claim (engines and the image)', () => {
    const image = dockerfileNode();
    const unsupported = locked
      .filter(({ entry }) => nodeRange(entry) !== null)
      .filter(
        ({ entry }) =>
          !semver.subset(manifest.engines.node, nodeRange(entry)!) ||
          !semver.subset(image, nodeRange(entry)!),
      )
      .map(({ path, entry }) => `${path}@${entry.version} wants node ${nodeRange(entry)}`);
    expect(unsupported).toEqual([]);
  });
});

describe('install scripts', () => {
  it('scarf telemetry is off, by the key its installed report.js reads', () => {
    expect(manifest.scarfSettings).toEqual({ enabled: false });
    // npm 11 still runs denied scripts (npm 12 will not): the setting is what turns scarf off today.
    expect(manifest.allowScripts?.['@scarf/scarf']).toBe(false);
    const report = readFileSync(join(ROOT, 'node_modules/@scarf/scarf/report.js'), 'utf8');
    expect(report).toContain('rootPackage.scarfSettings.enabled === false');
  });

  it('every locked package with an install script is allowed or denied in allowScripts', () => {
    const undecided = locked
      .filter(({ entry }) => entry.hasInstallScript)
      .filter(
        ({ name, entry }) =>
          !(name in (manifest.allowScripts ?? {})) &&
          !(`${name}@${entry.version}` in (manifest.allowScripts ?? {})),
      )
      .map(({ path }) => path);
    expect(undecided).toEqual([]);
  });
});
