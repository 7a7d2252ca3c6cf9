import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SequentialIds } from '../src/common/domain/ids.js';
import { FileStateRepository } from '../src/state/file/file-state.repository.js';
import { createTask } from '../src/tasks/domain/task-factory.js';
import { systemClock } from '../src/common/domain/clock.js';
import { api } from './support/api.js';
import { disposeServer, startServer, tempDir, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

/**
 * A change stored with its audit entry, then a crash before the entry reached the audit log (the
 * state files are copied while the store is open, as a SIGKILL would leave them): the server
 * appends the entry at start-up, before it answers, marked with the time the change was stored.
 */
describe('audit outbox across a crash', () => {
  let server: ServerProcess | undefined;
  afterAll(() => disposeServer(server));

  it('a change stored but not yet audited when the process died is audited at the next start, once', async () => {
    const live = tempDir();
    const repo = await FileStateRepository.open({ stateFile: join(live, 'state.json') });
    const task = createTask(
      {
        title: 'stored before the crash',
        workflow: { name: 'agent_workflow', version: '1.0' },
        initialPhase: 'PLAN',
        maxAttempts: 3,
        createdBy: 'crash-operator',
      },
      { clock: systemClock, ids: new SequentialIds('outbox-task') },
    );
    await repo.createTask(task, {
      audit: (t) => ({
        actor: 'crash-operator',
        role: 'operator',
        action: 'task.create',
        decision: 'allowed',
        success: true,
        task_id: t.id,
        details: { title: t.title },
      }),
    });
    const storedAt = (await repo.pendingAudit())[0]!.stored_at;
    const dir = tempDir();
    mkdirSync(join(dir, '.orchestrator'));
    for (const file of ['state.json', 'state.json.journal'])
      copyFileSync(join(live, file), join(dir, '.orchestrator', file));
    await repo.close();

    const operator = accessToken('operator', 'reader');
    for (let start = 0; start < 2; start++) {
      server = await startServer({ dir });
      const http = api(server.url);
      expect((await http.get(`/api/v1/tasks/${task.id}`, operator)).status).toBe(200);
      const audit = await http.get<{ entries: { actor: string; details: Record<string, unknown> }[] }>(
        `/api/v1/audit/query?task_id=${task.id}&action=task.create`,
        operator,
      );
      expect(audit.body.entries).toHaveLength(1);
      expect(audit.body.entries[0]).toMatchObject({
        actor: 'crash-operator',
        details: {
          title: 'stored before the crash',
          recovered: { stored_at: storedAt },
          change_id: expect.any(String),
        },
      });
      if (start === 0) expect(JSON.stringify(server.logs)).toContain('audit_recovered');
      await server.stop('SIGKILL');
      server = undefined;
    }
  });
});
