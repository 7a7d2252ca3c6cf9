import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import {
  completeArtifacts,
  implArtifacts,
  planArtifacts,
  reviewArtifacts,
  tddArtifacts,
} from '../fixtures/artifacts.js';

export const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');

/** The default workflow's walk, with artifacts that pass every gate. */
export const WALK: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
  ['PLAN', 'TDD', planArtifacts],
  ['TDD', 'IMPL', tddArtifacts],
  ['IMPL', 'REVIEW', implArtifacts],
  ['REVIEW', 'COMPLETE', reviewArtifacts],
];
export const COMPLETE_ARTIFACTS = completeArtifacts;
export const PHASES = ['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE'];

/** Writes `count` queued tasks into `stateFile` offline with the server's store code (bench/seed.mjs). */
export function seedTasks(stateFile: string, count: number): void {
  const run = spawnSync(
    process.execPath,
    [resolve(ROOT, 'bench/seed.mjs'), stateFile, String(count), 'snapshot'],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`seed failed: ${run.stderr}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fetch that never throws: a refused or reset connection (the server was killed) is status 0. */
export async function tryFetch(
  url: string,
  init: RequestInit & { json?: unknown; token?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> | null; text: string }> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(url, {
      ...init,
      headers,
      body: init.json === undefined ? init.body : JSON.stringify(init.json),
    });
    const text = await res.text();
    let body: Record<string, unknown> | null = null;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body, text };
  } catch {
    return { status: 0, body: null, text: '' };
  }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0;
}
