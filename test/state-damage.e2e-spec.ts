import { appendFileSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './support/api.js';
import { disposeServer, runCli, startServer, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

/**
 * DESIGN.md §7: damaged state is refused, not skipped. Each case damages the files of a server
 * that acknowledged six tasks, then starts the real server on them: anything but a torn last
 * journal line stops it with exit 2, naming the file, the place and the remedy, and changes nothing.
 */
const operator = accessToken('operator', 'damage-operator');
const STATE = '.orchestrator/state.json';
const JOURNAL = `${STATE}.journal`;

let server: ServerProcess | undefined;
afterEach(() => disposeServer(server));

/** A state directory holding six acknowledged tasks, left by a SIGKILL (journal) or a SIGTERM (snapshot). */
async function sixTasks(stop: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<{ dir: string; ids: string[] }> {
  server = await startServer();
  const http = api(server.url);
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: `acked-${i}` });
    expect(created.status).toBe(201);
    ids.push(created.body.id);
  }
  const dir = server.dir;
  await server.stop(stop);
  server = undefined;
  return { dir, ids };
}

function journalLines(dir: string): string[] {
  return readFileSync(join(dir, JOURNAL), 'utf8').trimEnd().split('\n');
}

/** A refused start touches none of these: not the state, and not the audit log or its anchor either. */
const contents = (dir: string) =>
  [STATE, JOURNAL, '.orchestrator/audit.jsonl', '.orchestrator/audit-anchor.json'].map((file) =>
    existsSync(join(dir, file)) ? readFileSync(join(dir, file)) : null,
  );

/** Starts the server on `dir`; expects exit 2 and one `orchestrator:` line, returned. Nothing may change. */
async function refusedStart(dir: string): Promise<string> {
  const before = contents(dir);
  const run = await runCli(['serve'], { cwd: dir });
  const line = run.stderr.split('\n').find((l) => l.startsWith('orchestrator: ')) ?? '';
  expect([run.code, line]).toEqual([2, expect.stringMatching(/^orchestrator: Damaged state: /)]);
  expect(line).toContain('orchestrator state repair --accept-loss');
  expect(contents(dir)).toEqual(before);
  return line;
}

describe('start-up on damaged state', () => {
  it('refuses a damaged record in the middle of the journal, naming the line', async () => {
    const { dir } = await sixTasks();
    const lines = journalLines(dir);
    const at = lines.findIndex((l) => l.includes('"acked-2"'));
    lines[at] = lines[at]!.replace('"acked-2"', '"ACKED-2"');
    writeFileSync(join(dir, JOURNAL), `${lines.join('\n')}\n`);
    expect(await refusedStart(dir)).toMatch(
      new RegExp(
        `state\\.json\\.journal line ${at + 1} \\(byte \\d+\\): a journal record fails its checksum`,
      ),
    );
  });

  it('refuses a journal with a line deleted from the middle', async () => {
    const { dir } = await sixTasks();
    const lines = journalLines(dir);
    writeFileSync(join(dir, JOURNAL), `${[...lines.slice(0, 2), ...lines.slice(3)].join('\n')}\n`);
    expect(await refusedStart(dir)).toMatch(
      /state\.json\.journal line 3: changes \d+\.\.\d+ are missing before it/,
    );
  });

  it('refuses a journal whose snapshot was deleted', async () => {
    const { dir } = await sixTasks('SIGTERM');
    rmSync(join(dir, STATE));
    expect(await refusedStart(dir)).toMatch(
      /state\.json the whole file: the state file is missing but its journal/,
    );
  });

  it('refuses a journal from another state directory', async () => {
    const { dir } = await sixTasks();
    const other = await sixTasks();
    copyFileSync(join(other.dir, JOURNAL), join(dir, JOURNAL));
    expect(await refusedStart(dir)).toMatch(/journal line 1: the journal belongs to another state directory/);
  });

  it('refuses a snapshot with one byte changed, naming the line', async () => {
    const { dir } = await sixTasks('SIGTERM');
    const bytes = readFileSync(join(dir, STATE));
    const at = bytes.indexOf('"acked-3"') + 2;
    bytes[at] = bytes[at]! ^ 0x20;
    writeFileSync(join(dir, STATE), bytes);
    expect(await refusedStart(dir)).toMatch(/state\.json line \d+: the line fails its checksum/);
  });

  it('starts after a torn last journal line, with every acknowledged task, and says so', async () => {
    const { dir, ids } = await sixTasks();
    appendFileSync(join(dir, JOURNAL), '{"crc":"0badf00d","seq":99,"at":"2026-');
    server = await startServer({ dir });
    const logs = JSON.stringify(server.logs);
    expect(logs).toContain('journal_torn_tail');
    const http = api(server.url);
    for (const id of ids) expect((await http.get(`/api/v1/tasks/${id}`, operator)).status).toBe(200);
  });
});

describe('orchestrator state repair', () => {
  it('lists what would be dropped and changes nothing; with --accept-loss drops it, audited, and the server starts', async () => {
    const { dir, ids } = await sixTasks();
    const lines = journalLines(dir);
    const damagedLine = lines.findIndex((l) => l.includes('"acked-2"'));
    lines[damagedLine] = lines[damagedLine]!.replace('"acked-2"', '"hacked"');
    writeFileSync(join(dir, JOURNAL), `${lines.join('\n')}\n`);
    const journal = readFileSync(join(dir, JOURNAL));

    const dry = await runCli(['state', 'repair'], { cwd: dir });
    expect(dry.code).toBe(2);
    expect(dry.stderr).toContain(`journal line ${damagedLine + 1} (byte`);
    expect(dry.stderr).toContain(`drops: the change recorded on line ${damagedLine + 1}`);
    expect(dry.stderr).toContain('5 tasks would be kept');
    expect(readFileSync(join(dir, JOURNAL))).toEqual(journal);

    const repaired = await runCli(['state', 'repair', '--accept-loss'], { cwd: dir });
    expect([repaired.code, repaired.stderr]).toEqual([0, '']);
    expect(repaired.stdout).toContain(`drops: the change recorded on line ${damagedLine + 1}`);
    expect(repaired.stdout).toMatch(/kept a copy of the damaged file as .*state\.json\.journal\.damaged-/);
    expect(repaired.stdout).toContain(
      'repaired: 5 tasks kept; the state.repair audit entry is in the audit log',
    );

    server = await startServer({ dir });
    const http = api(server.url);
    const found = await Promise.all(ids.map((id) => http.get(`/api/v1/tasks/${id}`, operator)));
    expect(found.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 404]);
    const audit = await http.get<{ entries: { details: { problems: unknown[] } }[] }>(
      '/api/v1/audit/query?action=state.repair',
      operator,
    );
    expect(audit.body.entries).toHaveLength(1);
    expect(audit.body.entries[0]!.details.problems).toEqual([
      expect.objectContaining({
        code: 'journal_damaged_record',
        where: expect.stringContaining(`line ${damagedLine + 1}`),
      }),
    ]);
    expect((await http.get('/api/v1/audit/verify', operator)).body).toMatchObject({ valid: true });
  });

  it('says the state is intact when it is', async () => {
    const { dir } = await sixTasks();
    const run = await runCli(['state', 'repair'], { cwd: dir });
    expect([run.code, run.stdout]).toEqual([0, 'state is intact (6 tasks): nothing to repair\n']);
  });
});
