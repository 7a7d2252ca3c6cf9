/**
 * The state backends a bench server runs on. Each `prepare` seeds `tasks` queued tasks and
 * returns the server's env, the seed's numbers and a cleanup:
 *   file      the store in `dir`, seeded offline by bench/seed.mjs
 *   postgres  a fresh database `orch_bench_<random>` on the local server (ORCHESTRATOR_BENCH_DATABASE_URL,
 *             default postgres://postgres@127.0.0.1:5432/test), seeded by bench/seed-postgres.mjs;
 *             dropped by cleanup, and by dropBenchDatabases() whatever happened.
 */
/* global URL */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { seedPostgres } from './seed-postgres.mjs';

export const BACKENDS = ['file', 'postgres'];
const SEED = resolve(import.meta.dirname, 'seed.mjs');
export const ADMIN_URL =
  process.env.ORCHESTRATOR_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The file store of `dir`, seeded in a child process with the server's own store code. */
export function seedFile(stateFile, count, mode) {
  mkdirSync(join(stateFile, '..'), { recursive: true });
  return new Promise((r, reject) => {
    const child = spawn(process.execPath, [SEED, stateFile, String(count), mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? r(JSON.parse(out)) : reject(new Error(`seed exited ${code}`))));
  });
}

const created = new Set();

// However the bench ends (an uncaught error, a closed stdout pipe, process.exit), drop what is
// left; 'exit' handlers cannot wait, so a child process does it synchronously.
const DROP_SCRIPT = `
  const pg = require('pg');
  const client = new pg.Client({ connectionString: process.env.ADMIN_URL });
  client.connect().then(async () => {
    for (const name of JSON.parse(process.env.NAMES))
      await client.query('DROP DATABASE IF EXISTS ' + pg.escapeIdentifier(name) + ' WITH (FORCE)');
    await client.end();
  });`;
process.on('exit', () => {
  if (created.size === 0) return;
  spawnSync(process.execPath, ['-e', DROP_SCRIPT], {
    cwd: resolve(import.meta.dirname, '..'),
    env: { ...process.env, ADMIN_URL, NAMES: JSON.stringify([...created]) },
    stdio: 'inherit',
    timeout: 15_000,
  });
});

async function admin(sql) {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function dropDatabase(name) {
  await admin(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  created.delete(name);
}

/** Drops every database this run created and has not dropped yet. */
export async function dropBenchDatabases() {
  for (const name of [...created]) await dropDatabase(name).catch((e) => console.error(`drop ${name}: ${e}`));
}

/** Seeds `tasks` queued tasks for a server running in `dir` on `backend`. */
export async function prepareBackend(backend, dir, tasks, opts) {
  if (backend === 'file') {
    const seed = await seedFile(join(dir, '.orchestrator', 'state.json'), tasks, 'snapshot');
    return { env: {}, seed, cleanup: async () => undefined };
  }
  const name = `orch_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  created.add(name);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    const seed = await seedPostgres(url.toString(), tasks, { analyze: opts.pgAnalyze });
    const env = { ORCHESTRATOR_STATE_BACKEND: 'postgres', ORCHESTRATOR_DATABASE_URL: url.toString() };
    if (opts.pgPool) env.ORCHESTRATOR_DATABASE_POOL_SIZE = String(opts.pgPool);
    return { env, seed, database: name, url: url.toString(), cleanup: () => dropDatabase(name) };
  } catch (error) {
    await dropDatabase(name);
    throw error;
  }
}
