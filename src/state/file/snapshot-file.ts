import { crc32 } from 'node:zlib';
import { UnavailableError } from '../../common/domain/domain-error.js';
import { TASK_STATUSES, type Task } from '../../tasks/domain/task.model.js';
import type { OutboxEntry, StateMaps } from '../index/state-op.js';
import type { IdempotencyRecord } from '../state.repository.js';
import { writeFileAtomic, type StateFs } from './state-fs.js';

/**
 * The snapshot (`state.state_file`): one JSON document with the whole state as of journal
 * sequence `last_seq`. One task per line so large snapshots stay readable and diffable.
 * A backup file has the same format, so restoring one is installing it as the snapshot.
 *
 * Layout (version 2): a head line ending in `"tasks":[`, one task per line, and a trailer line
 * `],"line_crc32":"…"}` holding the CRC-32 of every line before it (8 hex digits each), so a
 * changed, missing or reordered line is found and named, while the file stays one JSON document.
 * `state_id` names the state directory the snapshot belongs to; its journal carries the same id.
 */
export const SNAPSHOT_FORMAT = 'workflow-orchestrator/state-snapshot';
export const SNAPSHOT_VERSION = 2;

export interface SnapshotMeta {
  /** Identity of the state directory (random, written when it was first used). */
  readonly state_id: string;
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

const TRAILER = /^\],"line_crc32":"((?:[0-9a-f]{8})*)"\}$/;

function crcHex(line: string): string {
  return crc32(line).toString(16).padStart(8, '0');
}

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
    audit_outbox: [...maps.outbox.values()],
  };
  await writeFileAtomic(
    fs,
    path,
    async (handle) => {
      const headLine = `${JSON.stringify(head).slice(0, -1)},"tasks":[`;
      const crcs = [crcHex(headLine)];
      await handle.write(Buffer.from(`${headLine}\n`));
      const tasks = [...maps.tasks.values()];
      for (let i = 0; i < tasks.length; i += TASKS_PER_WRITE) {
        const end = Math.min(i + TASKS_PER_WRITE, tasks.length);
        let chunk = '';
        for (let j = i; j < end; j++) {
          const line = `${JSON.stringify(tasks[j])}${j === tasks.length - 1 ? '' : ','}`;
          crcs.push(crcHex(line));
          chunk += `${line}\n`;
        }
        await handle.write(Buffer.from(chunk));
      }
      await handle.write(Buffer.from(`],"line_crc32":"${crcs.join('')}"}\n`));
    },
    durable,
  );
}

/** Reads a snapshot; null when the file does not exist. A damaged one is fatal (`state_damaged`). */
export async function readSnapshot(fs: StateFs, path: string): Promise<Snapshot | null> {
  const bytes = await fs.readFile(path);
  if (bytes === null) return null;
  return parseSnapshot(bytes, path);
}

/** The lines of a snapshot that passed their checksum, and those that did not (1-based). */
interface CheckedLines {
  readonly head: string;
  readonly tasks: readonly { readonly line: number; readonly text: string }[];
  readonly damaged: readonly number[];
}

/**
 * Parses and verifies a snapshot. Any damage is `state_damaged` naming the line; with
 * `salvage`, damaged task lines are skipped and reported instead (for `state repair`).
 */
export function parseSnapshot(
  bytes: Buffer,
  path: string,
  salvage?: (line: number, why: string) => void,
): Snapshot {
  const checked = checkLines(bytes, path);
  for (const line of checked.damaged) {
    if (line === 1 || !salvage) throw damagedLine(path, line);
    salvage(line, 'checksum mismatch');
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(`${checked.head}]}`) as Record<string, unknown>;
  } catch {
    throw damaged(path, 'line 1', 'its head line is not JSON');
  }
  if (doc['format'] !== SNAPSHOT_FORMAT) throw damaged(path, 'line 1', `it is not a ${SNAPSHOT_FORMAT} file`);
  if (
    typeof doc['state_id'] !== 'string' ||
    typeof doc['snapshot_id'] !== 'string' ||
    !Number.isSafeInteger(doc['last_seq'])
  ) {
    throw damaged(path, 'line 1', 'state_id, snapshot_id or last_seq is missing');
  }
  const tasks: Task[] = [];
  for (const { line, text } of checked.tasks) {
    try {
      const body = text.endsWith(',') ? text.slice(0, -1) : text;
      tasks.push(checkTask(JSON.parse(body), line, path));
    } catch (error) {
      if (!salvage) throw error instanceof UnavailableError ? error : damagedLine(path, line);
      salvage(line, 'not a task');
    }
  }
  const maps: StateMaps = {
    tasks: new Map(tasks.map((task) => [task.id, task])),
    revocations: new Map(
      arrayField(doc, 'revocations', path).map((r) => {
        const { jti, expires_at } = r as { jti: unknown; expires_at: unknown };
        if (typeof jti !== 'string' || typeof expires_at !== 'number')
          throw damaged(path, 'line 1', 'a revocation entry is malformed');
        return [jti, expires_at];
      }),
    ),
    idempotency: new Map(
      arrayField(doc, 'idempotency', path).map((r) => {
        const record = r as IdempotencyRecord;
        if (typeof record.key !== 'string' || typeof record.expires_at !== 'number') {
          throw damaged(path, 'line 1', 'an idempotency entry is malformed');
        }
        return [record.key, record];
      }),
    ),
    outbox: new Map(
      arrayField(doc, 'audit_outbox', path).map((r) => {
        const entry = r as OutboxEntry;
        if (typeof entry.change_id !== 'string' || typeof entry.entry !== 'object' || entry.entry === null) {
          throw damaged(path, 'line 1', 'an audit outbox entry is malformed');
        }
        return [entry.change_id, entry];
      }),
    ),
  };
  if (maps.tasks.size !== tasks.length) throw damaged(path, 'its task lines', 'two tasks have the same id');
  return {
    state_id: doc['state_id'] as string,
    snapshot_id: doc['snapshot_id'] as string,
    previous_snapshot_id:
      typeof doc['previous_snapshot_id'] === 'string' ? doc['previous_snapshot_id'] : null,
    last_seq: doc['last_seq'] as number,
    written_at: typeof doc['written_at'] === 'string' ? doc['written_at'] : '',
    maps,
  };
}

/**
 * Splits the file into lines and checks each against the trailer's CRC list, a line at a time
 * (one string of a large snapshot doubled the peak memory of start-up).
 */
function checkLines(bytes: Buffer, path: string): CheckedLines {
  const lines: { start: number; end: number }[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(NEWLINE, start);
    if (end < 0) {
      lines.push({ start, end: bytes.length });
      break;
    }
    lines.push({ start, end });
    start = end + 1;
  }
  const first = lines[0] ? bytes.toString('utf8', lines[0].start, Math.min(lines[0].end, 4096)) : '';
  const version = /"version":(\d+)/.exec(first)?.[1];
  if (first.includes(SNAPSHOT_FORMAT) && version !== undefined && Number(version) < SNAPSHOT_VERSION) {
    throw damaged(
      path,
      'the whole file',
      `it was written by an earlier version (snapshot format ${version}, without checksums) and cannot be verified`,
    );
  }
  const last = lines[lines.length - 1];
  const trailer = last ? TRAILER.exec(bytes.toString('utf8', last.start, last.end)) : null;
  if (!trailer || !bytes.subarray(last!.end).toString('utf8').match(/^\n?$/)) {
    throw damaged(
      path,
      `its end (byte ${bytes.length})`,
      'the checksum trailer is missing or damaged (file cut short or edited?)',
    );
  }
  const crcs = trailer[1]!.match(/.{8}/g) ?? [];
  const body = lines.slice(0, -1);
  if (crcs.length !== body.length) {
    throw damaged(
      path,
      `its end (byte ${bytes.length})`,
      `it has ${body.length} lines before the trailer but checksums for ${crcs.length} (lines added or removed?)`,
    );
  }
  if (body.length === 0) throw damaged(path, 'line 1', 'the head line is missing');
  const damagedLines: number[] = [];
  const texts = body.map(({ start: s, end: e }, i) => {
    const text = bytes.toString('utf8', s, e);
    if (crcHex(text) !== crcs[i]) damagedLines.push(i + 1);
    return text;
  });
  const head = texts[0]!;
  if (!head.endsWith('"tasks":[') && !damagedLines.includes(1)) {
    throw damaged(path, 'line 1', 'the head line does not end with "tasks":[');
  }
  return {
    head,
    tasks: texts.slice(1).map((text, i) => ({ line: i + 2, text })),
    damaged: damagedLines,
  };
}

const NEWLINE = 0x0a;

function arrayField(doc: Record<string, unknown>, field: string, path: string): unknown[] {
  const value = doc[field];
  if (value === undefined && field === 'audit_outbox') return [];
  if (!Array.isArray(value)) throw damaged(path, 'line 1', `"${field}" is not a list`);
  return value;
}

/** Enough checking that a damaged task cannot crash the indexes later. */
function checkTask(raw: unknown, line: number, path: string): Task {
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
  if (!ok) throw damaged(path, `line ${line}`, 'the task there is malformed');
  return task;
}

function damaged(path: string, where: string, why: string): UnavailableError {
  return new UnavailableError('state_damaged', `Damaged state: ${path} ${where}: ${why}. ${DAMAGE_REMEDY}`);
}

/** What every damaged-state refusal tells the operator to do. */
export const DAMAGE_REMEDY =
  'Nothing was changed. Restore a backup (`orchestrator state restore FILE`), or run `orchestrator state repair` ' +
  'to see what would be dropped and `orchestrator state repair --accept-loss` to drop it (audited)';

function damagedLine(path: string, line: number): UnavailableError {
  return damaged(path, `line ${line}`, 'the line fails its checksum (changed after it was written)');
}
