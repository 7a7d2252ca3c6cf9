import { type Page } from 'playwright-core';
import { artifactsFor } from '../examples/example-artifacts.js';
import { api } from './support/api.js';
import { artifactDir, launchChromium, screenshotPath, type Chromium } from './support/browser.js';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

/**
 * The web console at /ui (docs/CONSOLE.md) in headless Chromium, against the real server: sign in,
 * the board updated live from the event stream, approving a gate, the audit search, agent-written
 * strings rendered as text, and the token in no URL, no page HTML and no log line.
 * Screenshots: test-artifacts/console/ (git-ignored).
 */
const XSS_TITLE = '<img src=x onerror=alert(1)>';
const operator = accessToken('operator', 'console-op');
const agentId = 'console-agent';
const agent = accessToken('agent', agentId);
const shots = artifactDir('console');

/** Polls `check` until it holds (10 s at most). */
async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Claim {
  task: { id: string; phase: string };
  phase_token: string;
}

describe('the web console in Chromium', () => {
  let server: ServerProcess;
  let chrome: Chromium;
  let page: Page;
  let http: ReturnType<typeof api>;
  const urls: string[] = [];
  const dialogs: string[] = [];
  const cspViolations: string[] = [];
  const taskListReads: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
    chrome = await launchChromium();
    const context = await chrome.browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('request', (request) => {
      urls.push(request.url());
      if (/\/api\/v1\/tasks\?/.test(request.url())) taskListReads.push(request.url());
    });
    page.on('framenavigated', (frame) => urls.push(frame.url()));
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await disposeServer(server);
  });

  const card = (title: string) => page.locator('[data-testid="task-card"]', { hasText: title });

  it('serves /ui with a strict Content-Security-Policy and no token in its HTML', async () => {
    const redirect = await fetch(`${server.url}/ui`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/ui/']);
    const response = await fetch(`${server.url}/ui/`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN
  });

  it('signs in with an operator token and follows the event stream', async () => {
    await page.goto(`${server.url}/ui/`);
    await page.screenshot({ path: screenshotPath(shots, '01-sign-in') });
    await page.fill('#token', operator);
    await page.click('button[type="submit"]');
    await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor();
    await page.getByTestId('column-queued').waitFor();
    expect(await page.locator('#token').count()).toBe(0);
  });

  it('a task appears on the board, then moves to claimed when an agent claims it, without polling', async () => {
    const readsBefore = taskListReads.length;
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'Add rate limiting',
    });
    expect(created.status).toBe(201);
    await page
      .getByTestId('column-queued')
      .locator('[data-testid="task-card"]', { hasText: 'Add rate limiting' })
      .waitFor();
    const claim = await http.post<Claim>('/api/v1/tasks/claim', agent, {});
    expect(claim.body.task.id).toBe(created.body.id);
    const claimed = page
      .getByTestId('column-claimed')
      .locator('[data-testid="task-card"]', { hasText: 'Add rate limiting' });
    await claimed.waitFor();
    await expect(claimed.textContent()).resolves.toContain(agentId);
    // Live from the stream: the list was not read again, only the one task.
    expect(taskListReads.length).toBe(readsBefore);
    await page.screenshot({ path: screenshotPath(shots, '02-board-claimed') });
  });

  it('approving the pending plan gate from the task page lets the agent’s next transition pass', async () => {
    const claimedTask = (
      await http.get<{ tasks: Array<{ id: string; status: string }> }>(
        '/api/v1/tasks?status=claimed',
        operator,
      )
    ).body.tasks[0]!;
    const claim = { task_id: claimedTask.id };
    const state = await http.get<{ id: string }>(`/api/v1/tasks/${claim.task_id}`, operator);
    expect(state.status).toBe(200);
    // The agent hands in its plan: the transition waits for the operator's approval.
    const token = (await http.post<Claim>('/api/v1/tasks/claim', agent, {})).body; // resumes its task
    expect(token.task.id).toBe(claim.task_id);
    const artifacts = artifactsFor('Add rate limiting').PLAN;
    const transition = () =>
      http.post<{ allowed: boolean; blocker_details?: Array<{ check: string }> }>(
        '/api/v1/tasks/transition',
        agent,
        {
          task_id: claim.task_id,
          current_phase: 'PLAN',
          target_phase: 'TDD',
          phase_token: token.phase_token,
          artifacts,
        },
      );
    const waiting = await transition();
    expect(waiting.body.blocker_details?.map((b) => b.check)).toEqual(['approval_required']);
    await card('Add rate limiting').getByTestId('blocked-reason').filter({ hasText: 'approval' }).waitFor();
    await page.screenshot({ path: screenshotPath(shots, '03-board-awaiting-approval') });

    await card('Add rate limiting').locator('a').click();
    await page.getByTestId('pending-approval').waitFor();
    await page.getByTestId('comment').fill('Plan looks right');
    await page.screenshot({ path: screenshotPath(shots, '04-task-pending-approval') });
    await page.getByTestId('approve').click();
    await page.getByTestId('action-result').filter({ hasText: 'done' }).waitFor();
    await page.getByTestId('pending-approval').waitFor({ state: 'detached' });

    const passed = await transition();
    expect(passed.body.allowed).toBe(true);
    // The task page follows the stream too: the phase moves on without a reload.
    await page.locator('[data-testid="task-page"] mark', { hasText: 'TDD' }).waitFor();
    await page.getByTestId('timeline').filter({ hasText: 'transitioned' }).waitFor();
    await page.screenshot({ path: screenshotPath(shots, '05-task-after-approval'), fullPage: true });
  });

  it('finds a denied tool call in the audit search, with the chain verified', async () => {
    const token = (await http.post<Claim>('/api/v1/tasks/claim', agent, {})).body;
    const denied = await http.post<{ allowed: boolean }>('/api/v1/tools/authorize', agent, {
      task_id: token.task.id,
      phase_token: token.phase_token,
      tool_name: 'deploy_production',
      args: {},
    });
    expect(denied.body.allowed).toBe(false);
    await page.goto(`${server.url}/ui/#/audit`);
    await page.getByTestId('verify-status').filter({ hasText: 'Chain verified' }).waitFor();
    await page.fill('input[name="tool_name"]', 'deploy_production');
    await page.selectOption('select[name="decision"]', 'denied');
    await page.click('form.audit-search button[type="submit"]');
    // The results are those of the search: every row is a denied deploy_production.
    await until(async () => {
      const rows = await page.getByTestId('audit-row').allTextContents();
      return rows.length > 0 && rows.every((r) => r.includes('deploy_production') && r.includes('denied'));
    });
    const row = page.getByTestId('audit-row').filter({ hasText: 'deploy_production' });
    await expect(row.first().textContent()).resolves.toContain('tool.authorize');
    await page.screenshot({ path: screenshotPath(shots, '06-audit-denied'), fullPage: true });
  });

  it('the approvals inbox lists a waiting gate and approves it; the agents page shows the denial', async () => {
    const inboxAgent = accessToken('agent', 'console-agent-3');
    await http.post('/api/v1/tasks', operator, { title: 'Inbox task', priority: 20 });
    const claim = (await http.post<Claim>('/api/v1/tasks/claim', inboxAgent, {})).body;
    const transition = () =>
      http.post<{ allowed: boolean }>('/api/v1/tasks/transition', inboxAgent, {
        task_id: claim.task.id,
        current_phase: 'PLAN',
        target_phase: 'TDD',
        phase_token: claim.phase_token,
        artifacts: artifactsFor('Inbox task').PLAN,
      });
    expect((await transition()).body.allowed).toBe(false);
    await page.goto(`${server.url}/ui/#/approvals`);
    const row = page.getByTestId('inbox-row').filter({ hasText: 'Inbox task' });
    await row.waitFor();
    await page.screenshot({ path: screenshotPath(shots, '07-approvals-inbox') });
    await row.getByTestId('inbox-approve').click();
    await page.getByTestId('inbox-result').filter({ hasText: 'Approved' }).waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await transition()).body.allowed).toBe(true);

    await page.goto(`${server.url}/ui/#/agents`);
    const agentRow = page.locator('[data-testid="agents"] tr', { hasText: 'deploy_production' });
    await agentRow.waitFor();
    await expect(agentRow.textContent()).resolves.toContain(agentId);
    await page.screenshot({ path: screenshotPath(shots, '08-agents') });
  });

  it('cancels and requeues a task from its page', async () => {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'Cancel me' });
    await page.goto(`${server.url}/ui/#/tasks/${created.body.id}`);
    const status = page.getByTestId('task-status');
    await status.filter({ hasText: 'queued' }).waitFor();
    await page.getByTestId('comment').fill('wrong repository');
    await page.getByRole('button', { name: 'Cancel task' }).click();
    await status.filter({ hasText: 'cancelled' }).waitFor();
    await page.getByRole('button', { name: 'Requeue' }).click();
    await status.filter({ hasText: 'queued' }).waitFor();
    const task = await http.get<{ status: string; history: Array<{ action: string }> }>(
      `/api/v1/tasks/${created.body.id}`,
      operator,
    );
    expect(task.body.status).toBe('queued');
    expect(task.body.history.map((h) => h.action)).toEqual(expect.arrayContaining(['cancelled', 'requeued']));
  });

  it('shows a title an agent controls as text, never as HTML', async () => {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: XSS_TITLE });
    expect(created.status).toBe(201);
    await page.goto(`${server.url}/ui/#/`);
    const xss = card(XSS_TITLE);
    await xss.waitFor();
    await expect(xss.locator('a').textContent()).resolves.toBe(XSS_TITLE);
    expect(await page.locator('img').count()).toBe(0);
    await xss.locator('a').click();
    await expect(page.getByTestId('task-title').textContent()).resolves.toBe(XSS_TITLE);
    expect(await page.locator('img').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
  });

  it('the board shows why a task is blocked (the screenshot in the README)', async () => {
    // A second agent hands in nothing: its card says what is missing.
    const other = accessToken('agent', 'console-agent-2');
    await http.post('/api/v1/tasks', operator, { title: 'Document the limiter', priority: 10 });
    const cancelled = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'Drop the legacy flag',
    });
    await http.post(`/api/v1/tasks/${cancelled.body.id}/cancel`, operator, { comment: 'not needed' });
    const claim = (await http.post<Claim>('/api/v1/tasks/claim', other, {})).body;
    const blocked = await http.post<{ allowed: boolean }>('/api/v1/tasks/transition', other, {
      task_id: claim.task.id,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: claim.phase_token,
      artifacts: {},
    });
    expect(blocked.body.allowed).toBe(false);
    await page.goto(`${server.url}/ui/#/`);
    await card('Document the limiter').getByTestId('blocked-reason').filter({ hasText: 'missing' }).waitFor();
    await page.getByTestId('column-cancelled').locator('[data-testid="task-card"]').first().waitFor();
    await page.screenshot({
      path: screenshotPath(shots, 'console-board'),
      clip: { x: 0, y: 0, width: 1440, height: 600 },
    });
  });

  it('the token was in no URL, no page HTML, no server log line; no CSP violation', async () => {
    const signature = operator.split('.')[2]!;
    expect(urls.length).toBeGreaterThan(5);
    expect(urls.filter((url) => url.includes(signature) || url.includes('token='))).toEqual([]);
    expect(await page.content()).not.toContain(signature);
    const logs = JSON.stringify(server.logs) + server.stderr();
    expect(logs).not.toContain(signature);
    expect(cspViolations).toEqual([]);
  });
});
