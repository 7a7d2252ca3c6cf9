import { type api } from '../../support/api.js';

/** The shapes the suite reads back (only the fields it checks). */
export interface StoredEvent {
  readonly id: number;
  readonly type: string;
  readonly task_id?: string;
  readonly actor?: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
}
export interface AuditRow {
  readonly seq: number;
  readonly action: string;
  readonly decision: string;
  readonly task_id: string | null;
  readonly actor: string;
  readonly details: Record<string, unknown>;
}
export interface HistoryEntry {
  readonly action: string;
  readonly actor: string;
  readonly from_status: string | null;
  readonly to_status: string;
}
export interface TaskDetail {
  readonly id: string;
  readonly status: string;
  readonly phase: string;
  readonly attempts: number;
  readonly holder: string | null;
  readonly dependencies: string[];
  readonly capabilities: string[];
  readonly history: HistoryEntry[];
}

type Http = ReturnType<typeof api>;

function expectOk(what: string, status: number, body: unknown): void {
  if (status !== 200) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
}

/** Every event one instance serves, page by page with `after` (oldest first). */
export async function allEvents(http: Http, token: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await http.get<{ events: StoredEvent[]; last_id: number }>(
      `/api/v1/events?after=${after}&limit=1000`,
      token,
    );
    expectOk('GET /api/v1/events', page.status, page.body);
    events.push(...page.body.events);
    if (page.body.events.length < 1000) return events;
    after = page.body.last_id;
  }
}

/** Every audit entry, page by page with `cursor`, oldest first. */
export async function allAudit(http: Http, token: string, filter = ''): Promise<AuditRow[]> {
  const entries: AuditRow[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await http.get<{ entries: AuditRow[]; next_cursor?: string | null }>(
      `/api/v1/audit/query?limit=1000${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    );
    expectOk('GET /api/v1/audit/query', page.status, page.body);
    entries.push(...page.body.entries);
    if (!page.body.next_cursor) return entries.reverse();
    cursor = page.body.next_cursor;
  }
}

/** Every task (detail with history), listed with `cursor` and read one by one. */
export async function allTasks(http: Http, token: string): Promise<TaskDetail[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await http.get<{ tasks: { id: string }[]; next_cursor?: string | null }>(
      `/api/v1/tasks?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      token,
    );
    expectOk('GET /api/v1/tasks', page.status, page.body);
    ids.push(...page.body.tasks.map((t) => t.id));
    if (!page.body.next_cursor) break;
    cursor = page.body.next_cursor;
  }
  const details: TaskDetail[] = [];
  for (let i = 0; i < ids.length; i += 20) {
    const batch = await Promise.all(
      ids.slice(i, i + 20).map((id) => http.get<TaskDetail>(`/api/v1/tasks/${id}`, token)),
    );
    for (const res of batch) {
      expectOk('GET /api/v1/tasks/{id}', res.status, res.body);
      details.push(res.body);
    }
  }
  return details;
}

/** The audit chain as one instance's verify reports it. */
export interface VerifyReport {
  readonly valid: boolean;
  readonly entries: number;
  readonly last_seq: number | null;
  readonly last_hash: string | null;
  readonly signatures_checked: boolean;
  readonly first_broken?: unknown;
}

export async function verifyAudit(http: Http, token: string): Promise<VerifyReport> {
  const res = await http.get<VerifyReport>('/api/v1/audit/verify', token);
  expectOk('GET /api/v1/audit/verify', res.status, res.body);
  return res.body;
}

/**
 * Verify on every instance at once until they report the same head: an instance may sign a
 * checkpoint (its timer) between two reads, which moves the head everywhere. Returns the last round.
 */
export async function verifyEverywhere(
  https: readonly Http[],
  token: string,
  timeoutMs = 20_000,
): Promise<VerifyReport[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reports = await Promise.all(https.map((http) => verifyAudit(http, token)));
    const heads = new Set(reports.map((r) => `${r.last_seq}:${r.last_hash}`));
    if (heads.size === 1 || Date.now() > deadline) return reports;
    await new Promise((r) => setTimeout(r, 500));
  }
}
