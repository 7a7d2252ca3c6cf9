import { UnavailableError } from '../../common/domain/domain-error.js';
import { TASK_STATUSES, type Task } from '../../tasks/domain/task.model.js';
import type { StateMaps } from '../index/state-op.js';
import type { IdempotencyRecord } from '../state.repository.js';
import { writeFileAtomic, type StateFs } from './state-fs.js';

/**
 * The snapshot (`state.state_file`): one JSON document with the whole state as of journal
 * sequence `last_seq`. One task per line so large snapshots stay readable and diffable.
 * A backup file has the same format, so restoring one is installing it as the snapshot.
 */
export const SNAPSHOT_FORMAT = 'workflow-orchestrator/state-snapshot';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotMeta {
  readonly snapshot_id: string;
  /** The snapshot this one replaced (lets start-up recognise the journal it superseded). */
  readonly previous_snapshot_id: string | null;
  readonly last_seq: number;
  readonly written_at: string;
}

export interface Snapshot extends SnapshotMeta {
  readonly maps: StateMaps;
}

/** Tasks serialised per write, so a big snapshot does not block the event loop in one go. */
const TASKS_PER_WRITE = 500;

export async function writeSnapshot(
  fs: StateFs,
  path: string,
  snapshot: Snapshot,
  durable = true,
): Promise<void> {
  const { maps, ...meta } = snapshot;
  const head = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    ...meta,
    revocations: [...maps.revocations].map(([jti, expires_at]) => ({ jti, expires_at })),
    idempotency: [...maps.idempotency.values()],
  };
  await writeFileAtomic(
    fs,
    path,
    async (handle) => {
      await handle.write(Buffer.from(`${JSON.stringify(head).slice(0, -1)},"tasks":[`));
      const tasks = [...maps.tasks.values()];
      for (let i = 0; i < tasks.length; i += TASKS_PER_WRITE) {
        const chunk = tasks.slice(i, i + TASKS_PER_WRITE).map((task) => JSON.stringify(task));
        await handle.write(Buffer.from(`${i === 0 ? '' : ','}\n${chunk.join(',\n')}`));
      }
      await handle.write(Buffer.from('\n]}\n'));
    },
    durable,
  );
}

/** Reads a snapshot; null when the file does not exist. A damaged one is fatal (`state_corrupt`). */
export async function readSnapshot(fs: StateFs, path: string): Promise<Snapshot | null> {
  const bytes = await fs.readFile(path);
  if (bytes === null) return null;
  return parseSnapshot(bytes, path);
}

export function parseSnapshot(bytes: Buffer, path: string): Snapshot {
  let raw: unknown = parseByLine(bytes);
  if (raw === null) {
    try {
      raw = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw corrupt(path, `not valid JSON (${(error as Error).message})`);
    }
  }
  const doc = raw as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || doc['format'] !== SNAPSHOT_FORMAT) {
    throw corrupt(path, `not a ${SNAPSHOT_FORMAT} file`);
  }
  if (doc['version'] !== SNAPSHOT_VERSION)
    throw corrupt(path, `unsupported version ${String(doc['version'])}`);
  if (typeof doc['snapshot_id'] !== 'string' || !Number.isSafeInteger(doc['last_seq'])) {
    throw corrupt(path, 'snapshot_id or last_seq missing');
  }
  const tasks = arrayField(doc, 'tasks', path);
  const maps: StateMaps = {
    tasks: new Map(tasks.map((task, i) => [checkTask(task, i, path).id, task as Task])),
    revocations: new Map(
      arrayField(doc, 'revocations', path).map((r) => {
        const { jti, expires_at } = r as { jti: unknown; expires_at: unknown };
        if (typeof jti !== 'string' || typeof expires_at !== 'number')
          throw corrupt(path, 'bad revocation entry');
        return [jti, expires_at];
      }),
    ),
    idempotency: new Map(
      arrayField(doc, 'idempotency', path).map((r) => {
        const record = r as IdempotencyRecord;
        if (typeof record.key !== 'string' || typeof record.expires_at !== 'number') {
          throw corrupt(path, 'bad idempotency entry');
        }
        return [record.key, record];
      }),
    ),
  };
  if (maps.tasks.size !== tasks.length) throw corrupt(path, 'duplicate task ids');
  return {
    snapshot_id: doc['snapshot_id'] as string,
    previous_snapshot_id:
      typeof doc['previous_snapshot_id'] === 'string' ? doc['previous_snapshot_id'] : null,
    last_seq: doc['last_seq'] as number,
    written_at: typeof doc['written_at'] === 'string' ? doc['written_at'] : '',
    maps,
  };
}

/**
 * Parses the layout `writeSnapshot` produces (head line ending in `"tasks":[`, one task per line,
 * `]}` last) a line at a time, so a large snapshot is never one string in memory: that string and
 * the parser's garbage doubled the peak memory of start-up. Null when the bytes are laid out any
 * other way (edited by hand, damaged): the caller then parses them as one document.
 */
function parseByLine(bytes: Buffer): Record<string, unknown> | null {
  const headEnd = bytes.indexOf(NEWLINE);
  if (headEnd < 0) return null;
  const head = bytes.toString('utf8', 0, headEnd);
  if (!head.endsWith('"tasks":[')) return null;
  try {
    const doc = JSON.parse(`${head}]}`) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
    const tasks: unknown[] = [];
    let start = headEnd + 1;
    let more = true;
    for (;;) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end < 0) return null;
      const line = bytes.toString('utf8', start, end);
      start = end + 1;
      if (line === ']}') break;
      if (!more) return null;
      more = line.endsWith(',');
      tasks.push(JSON.parse(more ? line.slice(0, -1) : line));
    }
    if (more && tasks.length > 0) return null;
    if (bytes.subarray(start).toString('utf8').trim() !== '') return null;
    return { ...doc, tasks };
  } catch {
    return null;
  }
}

const NEWLINE = 0x0a;

function arrayField(doc: Record<string, unknown>, field: string, path: string): unknown[] {
  const value = doc[field];
  if (!Array.isArray(value)) throw corrupt(path, `"${field}" is not a list`);
  return value;
}

/** Enough checking that a damaged task cannot crash the indexes later. */
function checkTask(raw: unknown, i: number, path: string): Task {
  const task = raw as Task;
  const ok =
    typeof task === 'object' &&
    task !== null &&
    typeof task.id === 'string' &&
    (TASK_STATUSES as readonly string[]).includes(task.status) &&
    typeof task.phase === 'string' &&
    typeof task.priority === 'number' &&
    typeof task.created_at === 'string' &&
    Array.isArray(task.capabilities) &&
    Array.isArray(task.dependencies) &&
    Array.isArray(task.history);
  if (!ok) throw corrupt(path, `task #${i + 1} is malformed`);
  return task;
}

function corrupt(path: string, why: string): UnavailableError {
  return new UnavailableError('state_corrupt', `State file ${path} is unreadable: ${why}`);
}
