import { type HttpTransport } from '../../sdk/http.transport.js';
import {
  type AgentView,
  type PendingApproval,
  type TaskDetail,
  type TaskPage,
} from './operator-api.types.js';

export interface TaskFilters {
  status?: string;
  phase?: string;
  agent_id?: string;
  /** true: only tasks whose `blocked_on` is set; false: only those without. */
  blocked?: boolean;
  limit?: number;
  cursor?: string;
}

export interface EventStreamQuery {
  /** Sent as `Last-Event-ID`: the stream starts after it (0: everything kept). Absent: live only. */
  after?: number;
  type?: string;
  task_id?: string;
}

const id = (value: string) => encodeURIComponent(value);

function query(params: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The operator API through the SDK's transport: typed answers, typed errors naming method and URL. */
export class OperatorClient {
  constructor(private readonly http: HttpTransport) {}

  async listTasks(filters: TaskFilters = {}): Promise<TaskPage> {
    return this.get<TaskPage>(`/api/v1/tasks${query({ ...filters })}`);
  }

  async getTask(taskId: string): Promise<TaskDetail> {
    return this.get<TaskDetail>(`/api/v1/tasks/${id(taskId)}`);
  }

  async decideGate(
    taskId: string,
    gateId: string,
    decision: 'approve' | 'reject',
    body: { comment?: string; digest?: string },
  ): Promise<TaskDetail> {
    return this.post<TaskDetail>(`/api/v1/tasks/${id(taskId)}/gates/${id(gateId)}/${decision}`, body);
  }

  async cancel(taskId: string, comment?: string): Promise<TaskDetail> {
    return this.post<TaskDetail>(
      `/api/v1/tasks/${id(taskId)}/cancel`,
      comment === undefined ? {} : { comment },
    );
  }

  async requeue(taskId: string, body: { reason?: string; reset_attempts?: boolean }): Promise<TaskDetail> {
    return this.post<TaskDetail>(`/api/v1/tasks/${id(taskId)}/requeue`, body);
  }

  async listApprovals(): Promise<{ approvals: PendingApproval[] }> {
    return this.get(`/api/v1/approvals`);
  }

  async listAgents(): Promise<{ agents: AgentView[]; denials_since?: string; denials_truncated?: boolean }> {
    return this.get(`/api/v1/agents`);
  }

  /** The SSE stream, open; the caller reads its body and aborts `signal` to close it. */
  openEvents(stream: EventStreamQuery, signal: AbortSignal): Promise<Response> {
    return this.http.openStream(
      `/api/v1/events/stream${query({ type: stream.type, task_id: stream.task_id })}`,
      {
        headers: stream.after === undefined ? {} : { 'last-event-id': String(stream.after) },
        signal,
      },
    );
  }

  private async get<T>(path: string): Promise<T> {
    return (await this.http.call<T>('GET', path, { retryable: true })).body;
  }

  /** Decisions are not retried: a lost answer may have been applied, and the second try would say so. */
  private async post<T>(path: string, body: unknown): Promise<T> {
    return (await this.http.call<T>('POST', path, { body, retryable: false })).body;
  }
}
