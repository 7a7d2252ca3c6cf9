import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../../src/database/testing/test-database.js';
import { api } from '../../support/api.js';
import { startServer, tempDir, type ServerProcess } from '../../support/server-process.js';

/** The suite's workflow: BUILD → CHECK → DONE, no gates (test/multi-instance/fixtures). */
export const RELAY_WORKFLOW = resolve(
  import.meta.dirname ?? new URL('.', import.meta.url).pathname,
  '../fixtures/relay_workflow.yaml',
);

export interface ClusterOptions {
  /** Server processes on the one database (default 3). */
  readonly size?: number;
  /** Extra environment for every instance (e.g. a short lease). */
  readonly env?: Record<string, string>;
}

/** One server process of a cluster, with its HTTP client. */
export interface Instance {
  readonly name: string;
  readonly server: ServerProcess;
  readonly http: ReturnType<typeof api>;
  readonly url: string;
  readonly pid: number;
}

/** N servers on one fresh database, sharing the JWT secret and the audit signing key. */
export interface Cluster {
  readonly db: TestDatabase;
  readonly instances: Instance[];
  /** Sends `signal` to one instance's pid and waits for it to exit. */
  stop(instance: Instance, signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops every instance by pid, removes their directories and drops the database. */
  dispose(): Promise<void>;
}

const NAMES = ['A', 'B', 'C', 'D', 'E'];

/**
 * Starts `size` instances on a fresh database. The first starts alone (it applies the
 * migrations); the others start together. Event history is kept large enough that nothing a
 * test makes is pruned, and the retry backoff is 0 so a released task is claimable at once.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const size = options.size ?? 3;
  const db = await createTestDatabase();
  const keyDir = tempDir();
  const keyFile = join(keyDir, 'audit-signing-key.pem');
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const instances: Instance[] = [];
  const start = async (name: string): Promise<Instance> => {
    const server = await startServer({
      configYaml: 'state:\n  backend: postgres\n',
      env: {
        ORCHESTRATOR_DATABASE_URL: db.url,
        ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: keyFile,
        ORCHESTRATOR_WORKFLOW_FILE: RELAY_WORKFLOW,
        ORCHESTRATOR_TASKS_RETRY_BACKOFF_SECONDS: '0',
        ORCHESTRATOR_EVENT_MAX_HISTORY: '200000',
        ...options.env,
      },
    });
    const instance = { name, server, http: api(server.url), url: server.url, pid: server.child.pid! };
    instances.push(instance);
    return instance;
  };
  const stop = async (instance: Instance, signal: NodeJS.Signals = 'SIGTERM') => {
    const { child } = instance.server;
    if (child.exitCode === null && child.signalCode === null) process.kill(instance.pid, signal);
    return instance.server.exited;
  };
  const dispose = async () => {
    await Promise.all(instances.map((i) => stop(i, 'SIGKILL')));
    for (const i of instances) rmSync(i.server.dir, { recursive: true, force: true });
    rmSync(keyDir, { recursive: true, force: true });
    await db.drop();
  };
  try {
    await start(NAMES[0]!);
    await Promise.all(NAMES.slice(1, size).map(start));
  } catch (error) {
    await dispose();
    throw error;
  }
  // Started in parallel, they finished in any order: keep A, B, C… in name order.
  instances.sort((a, b) => a.name.localeCompare(b.name));
  return { db, instances, stop, dispose };
}
