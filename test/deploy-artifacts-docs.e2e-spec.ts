import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { knownCheckNames } from '../src/workflow/domain/gate-checks.js';
import {
  DECLARATIVE_OPS,
  ENFORCEMENT_MODES,
  GATE_TYPES,
  SEVERITIES,
} from '../src/workflow/domain/workflow.model.js';
import { baseEnv, disposeServer, runCli, startServer, type ServerProcess } from './support/server-process.js';

/**
 * docs/WORKFLOW_SPEC.md must describe every check and value the loader accepts, and the
 * rotation procedure in docs/SECURITY.md must work as written.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const spec = readFileSync(join(ROOT, 'docs/WORKFLOW_SPEC.md'), 'utf8');
const security = readFileSync(join(ROOT, 'docs/SECURITY.md'), 'utf8');

describe('docs/WORKFLOW_SPEC.md', () => {
  it.each(knownCheckNames())('describes the named check %s', (name) => {
    expect(spec).toContain(`| \`${name}\``);
  });

  it('lists every declarative operator, enforcement mode, gate type and severity', () => {
    for (const value of [...DECLARATIVE_OPS, ...ENFORCEMENT_MODES, ...GATE_TYPES, ...SEVERITIES])
      expect([value, spec.includes(`\`${value}\``)]).toEqual([value, true]);
  });

  it('the default workflow it refers to validates', async () => {
    const r = await runCli(['workflow', 'validate', join(ROOT, 'workflows/agent_workflow.yaml')]);
    expect([r.code, r.stderr]).toEqual([0, '']);
  });
});

describe('docs/SECURITY.md secret rotation', () => {
  const OLD = 'a1'.repeat(32);
  const NEW = 'b2'.repeat(32);
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  async function tokenSignedWith(secret: string): Promise<string> {
    const r = await runCli(['token', 'create', '--role', 'operator', '--subject', 'op-rotation'], {
      env: baseEnv({ ORCHESTRATOR_JWT_SECRET: secret }),
    });
    expect(r.code).toBe(0);
    return r.stdout.trim();
  }

  async function statusWith(token: string, env: Record<string, string>): Promise<number> {
    server = await startServer({ env });
    const res = await fetch(`${server.url}/api/v1/workflows`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await disposeServer(server);
    server = undefined;
    return res.status;
  }

  it('documents the _PREVIOUS variable', () => {
    expect(security).toContain('ORCHESTRATOR_JWT_SECRET_PREVIOUS');
  });

  it('an old token works during the grace period and is refused after it', async () => {
    const old = await tokenSignedWith(OLD);
    expect(await statusWith(old, { ORCHESTRATOR_JWT_SECRET: OLD })).toBe(200);
    expect(
      await statusWith(old, { ORCHESTRATOR_JWT_SECRET: NEW, ORCHESTRATOR_JWT_SECRET_PREVIOUS: OLD }),
    ).toBe(200);
    expect(await statusWith(old, { ORCHESTRATOR_JWT_SECRET: NEW })).toBe(401);
    expect(await statusWith(await tokenSignedWith(NEW), { ORCHESTRATOR_JWT_SECRET: NEW })).toBe(200);
  });
});
