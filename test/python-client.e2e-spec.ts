import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
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
import {
  completeArtifacts,
  implArtifacts,
  planArtifacts,
  reviewArtifacts,
  tddArtifacts,
} from './fixtures/artifacts.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const operator = accessToken('operator', 'py-op');
const agent = accessToken('agent', 'py-agent');

/** The lifecycle, driven through clients/python/orchestrator_client.py; prints one line per check. */
const SCRIPT = String.raw`
import json, os, stat, sys, time
sys.path.insert(0, os.environ["CLIENT_DIR"])
from orchestrator_client import (AgentClient, TransitionBlockedError, ToolForbiddenError,
    StalePhaseTokenError, AuthError, NotFoundError, OrchestratorError)

art = json.loads(os.environ["ARTIFACTS"])
token_file = os.environ["TOKEN_FILE"]
with AgentClient(os.environ["URL"], "py-agent", os.environ["TOKEN"], token_file=token_file) as c:
    claim = c.claim_task(capabilities=[])
    print("claimed", claim["task"]["id"], claim["phase"], flush=True)
    print("token_file", json.load(open(token_file))["phase"], oct(stat.S_IMODE(os.stat(token_file).st_mode)), flush=True)
    headers = open(token_file + ".headers").read()
    print("headers", oct(stat.S_IMODE(os.stat(token_file + ".headers").st_mode)),
          headers == "Authorization: Bearer %s\nX-Phase-Token: %s\nContent-Type: application/json\n" % (os.environ["TOKEN"], c.phase_token), flush=True)
    snap = c.get_state_snapshot()
    print("snapshot", snap["current_phase"], flush=True)
    print("authorize read", c.authorize_tool("read_files", {"path": "README.md"})["allowed"], flush=True)
    print("authorize write", c.authorize_tool("write_files", {"path": "src/a.ts", "content": ""})["allowed"], flush=True)
    try:
        c.write_file("src/a.ts", "x")
    except ToolForbiddenError as e:
        print("use_tool", type(e).__name__, e.code, e.status, flush=True)
    waited = False
    while True:
        try:
            c.request_transition("TDD", art["PLAN"])
            break
        except TransitionBlockedError as e:
            if not waited:
                print("WAITING", [b["check"] for b in e.blockers], flush=True)
                waited = True
            time.sleep(0.2)
    print("phase", c.phase, json.load(open(token_file))["phase"], c.phase_token in open(token_file + ".headers").read(), flush=True)
    old = c.phase_token
    try:
        c.request_transition("IMPL", {})
    except TransitionBlockedError as e:
        print("blocked", e.code, len(e.blockers) > 0, flush=True)
    for target in ["IMPL", "REVIEW", "COMPLETE"]:
        c.request_transition(target, art[c.phase])
        print("phase", c.phase, flush=True)
    current = c.phase_token
    c.phase_token = old
    try:
        c.heartbeat()
    except StalePhaseTokenError as e:
        print("stale", type(e).__name__, e.code, flush=True)
    c.phase_token = current
    print("heartbeat", "lease_expires_at" in json.dumps(c.heartbeat()), flush=True)
    done = c.complete(art["COMPLETE"])
    print("completed", done["task"]["status"], os.path.exists(token_file), os.path.exists(token_file + ".headers"), flush=True)
    print("claim again", c.claim_task(), flush=True)

try:
    AgentClient(os.environ["URL"], "py-agent", "bad.token.here").claim_task()
except AuthError as e:
    print("auth", type(e).__name__, e.code, e.status, flush=True)
down = AgentClient("http://127.0.0.1:9", "x", "t", retries=1, base_delay=0.01)
try:
    down.claim_task()
except OrchestratorError as e:
    print("down", type(e).__name__, e.code, flush=True)
`;

describe('clients/python/orchestrator_client.py against a live server', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => disposeServer(server));

  it('walks a task through the whole lifecycle with typed errors', async () => {
    const http = api(server.url);
    const { body: task } = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'python task',
    });
    const dir = tempDir();
    const script = join(dir, 'lifecycle.py');
    writeFileSync(script, SCRIPT);
    const env = baseEnv({
      CLIENT_DIR: resolve(ROOT, 'clients/python'),
      URL: server.url,
      TOKEN: agent,
      TOKEN_FILE: join(dir, 'token.json'),
      ARTIFACTS: JSON.stringify({
        PLAN: planArtifacts,
        TDD: tddArtifacts,
        IMPL: implArtifacts,
        REVIEW: reviewArtifacts,
        COMPLETE: completeArtifacts,
      }),
    });
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolveRun, reject) => {
        const child = spawn('python3', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          if (d.toString().includes('WAITING')) {
            void http.post(`/api/v1/tasks/${task.id}/gates/plan_approved/approve`, operator, {});
          }
        });
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`python did not finish: ${stdout}${stderr}`));
        }, 25_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolveRun({ code, stdout, stderr });
        });
      },
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split('\n')).toEqual([
      `claimed ${task.id} PLAN`,
      'token_file PLAN 0o600',
      'headers 0o600 True',
      'snapshot PLAN',
      'authorize read True',
      'authorize write False',
      expect.stringMatching(
        /^use_tool ToolForbiddenError (tool_forbidden|execution_disabled) 403$/,
      ) as unknown,
      "WAITING ['approval_required']",
      'phase TDD TDD True',
      'blocked transition_blocked True',
      'phase IMPL',
      'phase REVIEW',
      'phase COMPLETE',
      'stale StalePhaseTokenError stale_phase_token',
      'heartbeat True',
      'completed completed False False',
      'claim again None',
      'auth AuthError invalid_token 401',
      'down OrchestratorUnavailableError network_error',
    ]);
    expect(() => statSync(join(dir, 'token.json'))).toThrow();
    const state = await http.get<{ status: string }>(`/api/v1/tasks/${task.id}`, operator);
    expect(state.body.status).toBe('completed');
  });
});
