import { type api } from './api.js';

export interface HandIn {
  readonly task_id: string;
  readonly phase_token: string;
  readonly artifacts: Record<string, unknown>;
  readonly current_phase?: string;
  readonly target_phase?: string;
  readonly gate?: string;
}

/**
 * What passing an approval gate takes (issue 14): the agent hands the artifacts in with a
 * transition, which waits for the approval and stores them; an operator then approves exactly
 * those. The caller transitions afterwards with the same artifacts.
 */
export async function handInAndApprove(
  http: ReturnType<typeof api>,
  agent: string,
  operator: string,
  handIn: HandIn,
): Promise<void> {
  const waiting = await http.post<{ allowed: boolean; blocker_details?: Array<{ check: string }> }>(
    '/api/v1/tasks/transition',
    agent,
    {
      task_id: handIn.task_id,
      current_phase: handIn.current_phase ?? 'PLAN',
      target_phase: handIn.target_phase ?? 'TDD',
      phase_token: handIn.phase_token,
      artifacts: handIn.artifacts,
    },
  );
  const checks = waiting.body?.blocker_details?.map((b) => b.check) ?? [];
  if (waiting.status !== 200 || waiting.body.allowed || checks.join() !== 'approval_required') {
    throw new Error(
      `expected a transition waiting for approval only, got ${waiting.status} ${JSON.stringify(waiting.body)}`,
    );
  }
  const approved = await http.post(
    `/api/v1/tasks/${handIn.task_id}/gates/${handIn.gate ?? 'plan_approved'}/approve`,
    operator,
    {},
  );
  if (approved.status !== 200)
    throw new Error(`approval refused: ${approved.status} ${JSON.stringify(approved.body)}`);
}
