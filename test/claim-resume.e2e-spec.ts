import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { api } from './support/api.js';
import {
  baseEnv,
  disposeServer,
  type ServerProcess,
  startServer,
  tempDir,
} from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';
import { AgentClient, StalePhaseTokenError } from '../src/sdk/index.js';

/**
 * Issue 15 item 4: a client that crashed after its claim comes back as a new process of the
 * same agent and picks its task up again, with a fresh phase token; the old one is stale, and
 * no other agent can take the task over this way.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const operator = accessToken('operator', 'resume-op');

interface AuditEntry {
  action: string;
  actor: string;
  task_id: string;
  phase: string;
  details: Record<string, unknown>;
}

describe('claim resumes the task the agent already holds', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const clients: AgentClient[] = [];
  const client = (subject: string, tokenFile?: string) => {
    // A new access token each time: a restarted process has its own, for the same subject.
    const c = new AgentClient({
      baseUrl: server.url,
      agentId: subject,
      accessToken: accessToken('agent', subject),
      tokenFile,
      heartbeat: false,
    });
    clients.push(c);
    return c;
  };
  // Each test's task outranks what earlier tests left in the queue.
  const createTask = async (title: string, priority: number) =>
    (await http.post<{ id: string }>('/api/v1/tasks', operator, { title, priority })).body.id;
  const auditOf = async (taskId: string, action: string) =>
    (
      await http.get<{ entries: AuditEntry[] }>(
        `/api/v1/audit/query?task_id=${taskId}&action=${action}`,
        operator,
      )
    ).body.entries;

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await disposeServer(server);
  });

  it('a new process of the same agent gets the same task with a fresh token; the old token is refused', async () => {
    const first = await createTask('resume me', 10);
    await createTask('not me', 0); // eligible: a resume must not hand this one out instead
    const tokenFile = join(tempDir(), 'not', 'yet', 'phase-token.json');
    const crashed = client('resume-agent', tokenFile);
    const claim = (await crashed.claimTask())!;
    expect(claim).toMatchObject({ task: { id: first }, resumed: false, phase: 'PLAN' });
    expect(statSync(join(tokenFile, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // The process dies here: nothing is released, the file stays behind.

    const restarted = client('resume-agent', tokenFile);
    const resumed = (await restarted.resumeTask())!;
    expect(resumed).toMatchObject({ task: { id: first }, resumed: true, phase: 'PLAN' });
    expect(resumed.phase_token).not.toBe(claim.phase_token);
    expect(Date.parse(resumed.lease_expires_at)).toBeGreaterThanOrEqual(Date.parse(claim.lease_expires_at));
    expect(JSON.parse(readFileSync(tokenFile, 'utf8'))).toMatchObject({
      task_id: first,
      phase_token: resumed.phase_token,
    });

    // The crashed process's token is stale for every call; the new one works.
    const agent = accessToken('agent', 'resume-agent');
    const oldHeartbeat = await http.post(`/api/v1/tasks/${first}/heartbeat`, agent, {
      phase_token: claim.phase_token,
    });
    expect([oldHeartbeat.status, oldHeartbeat.body.code]).toEqual([403, 'stale_phase_token']);
    await expect(crashed.requestTransition('TDD', planArtifacts)).rejects.toBeInstanceOf(
      StalePhaseTokenError,
    );
    await expect(restarted.heartbeat()).resolves.toMatchObject({ task_id: first, status: 'claimed' });

    const task = await http.get<{ attempts: number; holder: string; status: string }>(
      `/api/v1/tasks/${first}`,
      operator,
    );
    expect(task.body).toMatchObject({ attempts: 1, holder: 'resume-agent', status: 'claimed' });

    // Audited once, as a resume (not as a second claim), and announced.
    expect(await auditOf(first, 'task.resume')).toEqual([
      expect.objectContaining({
        actor: 'resume-agent',
        phase: 'PLAN',
        details: expect.objectContaining({ attempt: 1 }),
      }),
    ]);
    expect(await auditOf(first, 'task.claim')).toHaveLength(1);
    const events = await http.get<{ events: { type: string; actor: string }[] }>(
      `/api/v1/events?task_id=${first}&type=task.resumed`,
      operator,
    );
    expect(events.body.events).toEqual([
      expect.objectContaining({ type: 'task.resumed', actor: 'resume-agent' }),
    ]);

    await restarted.release();
  });

  it('resumes in the phase the task is in, with that phase’s tools', async () => {
    const id = await createTask('resume mid-way', 20);
    const crashed = client('resume-agent-2');
    const claim = (await crashed.claimTask())!;
    await expect(crashed.requestTransition('TDD', planArtifacts)).rejects.toThrow(/approval/);
    await http.post(`/api/v1/tasks/${id}/gates/plan_approved/approve`, operator, {});
    const moved = await crashed.requestTransition('TDD', planArtifacts, { idempotencyKey: 'resume-key' });

    const resumed = (await client('resume-agent-2').claimTask())!;
    expect(resumed).toMatchObject({
      task: { id },
      resumed: true,
      phase: 'TDD',
      allowed_tools: moved.allowed_tools,
    });
    // A transition retried with its Idempotency-Key is still answered, not applied again.
    const agent = accessToken('agent', 'resume-agent-2');
    const replay = await http.post(
      '/api/v1/tasks/transition',
      agent,
      {
        task_id: id,
        current_phase: 'PLAN',
        target_phase: 'TDD',
        phase_token: claim.phase_token,
        artifacts: planArtifacts,
      },
      { 'idempotency-key': 'resume-key' },
    );
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ allowed: true, phase: 'TDD' });
    expect((await auditOf(id, 'task.transition')).filter((e) => e.details.to === 'TDD')).toHaveLength(2); // blocked + allowed
    // …and the token it carries is stale: only the resumed one is valid.
    const stale = await http.post(`/api/v1/tasks/${id}/heartbeat`, agent, {
      phase_token: replay.body.new_token,
    });
    expect([stale.status, stale.body.code]).toEqual([403, 'stale_phase_token']);
    expect(
      (await http.post(`/api/v1/tasks/${id}/heartbeat`, agent, { phase_token: resumed.phase_token })).status,
    ).toBe(200);
    await http.post(`/api/v1/tasks/${id}/release`, agent, { phase_token: resumed.phase_token });
  });

  it('another agent cannot resume it, nor move it with the holder’s old token', async () => {
    const id = await createTask('held by victim', 30);
    const victim = client('victim-agent');
    const claim = (await victim.claimTask())!;
    const thief = accessToken('agent', 'thief-agent');

    // The thief may get another queued task, never the held one.
    const stolen = await http.post<{ task?: { id: string }; resumed?: boolean }>(
      '/api/v1/tasks/claim',
      thief,
      {},
    );
    expect(stolen.status === 204 || (stolen.body.task?.id !== id && stolen.body.resumed === false)).toBe(
      true,
    );
    const spoofed = await http.post('/api/v1/tasks/claim', thief, { agent_id: 'victim-agent' });
    expect([spoofed.status, spoofed.body.code]).toEqual([403, 'agent_id_mismatch']);
    const heartbeat = await http.post(`/api/v1/tasks/${id}/heartbeat`, thief, {
      phase_token: claim.phase_token,
    });
    expect([heartbeat.status, heartbeat.body.code]).toEqual([403, 'phase_token_agent_mismatch']);

    // Only agent tokens claim: an operator token naming the victim's subject resumes nothing.
    const impostor = await http.post('/api/v1/tasks/claim', accessToken('operator', 'victim-agent'), {});
    expect([impostor.status, impostor.body.code]).toEqual([403, 'insufficient_role']);

    expect(await auditOf(id, 'task.resume')).toEqual([]);
    // The victim's token is untouched by all that.
    await expect(victim.heartbeat()).resolves.toMatchObject({ task_id: id });
    await victim.release();
  });

  it('the Python client creates its token directory 0700, resumes after a crash, and names URLs in errors', async () => {
    const id = await createTask('python resume', 40);
    const dir = tempDir();
    const tokenFile = join(dir, 'agent-state', 'nested', 'phase-token.json');
    const closedPort = await freePort();
    const script = join(dir, 'resume.py');
    writeFileSync(script, PYTHON_RESUME);
    const out = await runPython(script, {
      CLIENT_DIR: resolve(ROOT, 'clients/python'),
      URL: server.url,
      TOKEN_1: accessToken('agent', 'py-resume-agent'),
      TOKEN_2: accessToken('agent', 'py-resume-agent'),
      TOKEN_FILE: tokenFile,
      CLOSED_URL: `http://127.0.0.1:${closedPort}`,
    });
    expect(out.stderr).toBe('');
    expect(out.stdout.trim().split('\n')).toEqual([
      `claimed ${id} False`,
      'dirs 0o700 0o700 file 0o600',
      `resumed ${id} True True`,
      'old token StalePhaseTokenError stale_phase_token',
      `down network_error POST http://127.0.0.1:${closedPort}/api/v1/tasks/claim True`,
      `http AuthError POST ${server.url}/api/v1/tasks/claim: 401 invalid_token`,
      'released',
    ]);
    expect(await auditOf(id, 'task.resume')).toHaveLength(1);
  });
});

/** A crashed Python client (discarded without release) and its successor; one line per check. */
const PYTHON_RESUME = String.raw`
import json, os, stat, sys
sys.path.insert(0, os.environ["CLIENT_DIR"])
from orchestrator_client import AgentClient, AuthError, OrchestratorError, StalePhaseTokenError

url, token_file = os.environ["URL"], os.environ["TOKEN_FILE"]
mode = lambda p: oct(stat.S_IMODE(os.stat(p).st_mode))
first = AgentClient(url, "py-resume-agent", os.environ["TOKEN_1"], token_file=token_file, heartbeat=False)
claim = first.claim_task()
print("claimed", claim["task"]["id"], claim["resumed"], flush=True)
nested = os.path.dirname(token_file)
print("dirs", mode(os.path.dirname(nested)), mode(nested), "file", mode(token_file), flush=True)
old_token = first.phase_token
del first  # the process "crashes": no release, the token file stays

second = AgentClient(url, "py-resume-agent", os.environ["TOKEN_2"], token_file=token_file, heartbeat=False)
again = second.resume_task()
print("resumed", again["task"]["id"], again["resumed"], again["phase_token"] != old_token
      and json.load(open(token_file))["phase_token"] == again["phase_token"], flush=True)
current = second.phase_token
second.phase_token = old_token
try:
    second.heartbeat()
except StalePhaseTokenError as e:
    print("old token", type(e).__name__, e.code, flush=True)
second.phase_token = current

secret = os.environ["TOKEN_2"]
try:
    AgentClient(os.environ["CLOSED_URL"], "x", secret, retries=0).claim_task()
except OrchestratorError as e:
    print("down", e.code, str(e).split(": ")[0], secret not in str(e), flush=True)
try:
    AgentClient(url, "x", "bad.token.here").claim_task()
except AuthError as e:
    print("http", type(e).__name__, ": ".join(str(e).split(": ")[:2]), flush=True)
second.release()
print("released", flush=True)
`;

function runPython(script: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('python3', [script], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`python did not finish: ${stdout}${stderr}`));
    }, 20_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolveRun({ stdout, stderr });
    });
  });
}

/** A loopback port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
