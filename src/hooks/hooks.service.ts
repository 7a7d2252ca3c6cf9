import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.js';
import { AuthFailures } from '../auth/auth-failures.js';
import { type AccessClaims, type PhaseClaims } from '../auth/domain/token-claims.js';
import { DomainError } from '../common/domain/domain-error.js';
import { EventBus } from '../events/event-bus.js';
import { AgentTasksService } from '../tasks/agent-tasks.service.js';
import { type Task } from '../tasks/domain/task.model.js';
import { PhaseTokenService } from '../tasks/phase-token.service.js';
import { ToolMetrics } from '../tools/tool-metrics.js';
import { ToolsService } from '../tools/tools.service.js';
import {
  type ClaudeCodeHookInput,
  hookInputProblem,
  mapClaudeCodeTool,
} from './domain/claude-code-tool-map.js';
import { decisionReason, type PreToolUseOutput, preToolUseOutput } from './domain/hook-output.js';
import { HOOK_ROUTE } from './hook-route.js';
import { type RequestScope } from '../common/http/request-scope.js';

/** The workflow rule named for a denial the hook itself makes. */
const UNMAPPED_RULE = 'hooks.claude_code.unmapped_tool';
const INVALID_INPUT_RULE = 'hooks.claude_code.invalid_input';
const HOOK_RULE_LABEL: Readonly<Record<string, string>> = {
  [UNMAPPED_RULE]: 'unmapped',
  [INVALID_INPUT_RULE]: 'invalid_input',
};
/** Tool names in events and audit entries are capped like `/tools/authorize` caps them. */
const MAX_TOOL_NAME = 100;

/**
 * Claude Code's PreToolUse hook, served over HTTP and called by the command hook for every tool
 * it cannot map: the same decision as `/tools/authorize`, answered in the hook's JSON. Every
 * refusal is a 200 deny, because Claude Code lets a tool run when an HTTP hook answers non-2xx,
 * and every denial is audited and emitted as an event, so an agent gains nothing by calling a
 * tool the mapping does not know.
 */
@Injectable()
export class HooksService {
  constructor(
    private readonly tools: ToolsService,
    private readonly phaseTokens: PhaseTokenService,
    private readonly tasks: AgentTasksService,
    private readonly failures: AuthFailures,
    private readonly audit: AuditTrail,
    private readonly events: EventBus,
    private readonly metrics: ToolMetrics,
  ) {}

  async preToolUse(
    agent: AccessClaims,
    phaseToken: string | undefined,
    input: unknown,
    scope?: RequestScope | null,
  ): Promise<PreToolUseOutput> {
    let task: Task;
    try {
      task = await this.taskOf(agent, phaseToken, scope);
    } catch (error) {
      // Already audited as an auth.failure (see taskOf).
      if (error instanceof DomainError) return deny(`${error.code}: ${error.message}`);
      throw error;
    }
    const problem = hookInputProblem(input);
    if (problem) return this.denied(agent, task, toolNameOf(input), problem, INVALID_INPUT_RULE, scope);
    const hook = input as ClaudeCodeHookInput;
    const mapped = mapClaudeCodeTool(hook);
    if ('denied' in mapped)
      return this.denied(agent, task, hook.tool_name, mapped.denied, UNMAPPED_RULE, scope);
    try {
      const decision = await this.tools.authorize(
        agent,
        {
          task_id: task.id,
          phase_token: phaseToken!,
          tool_name: mapped.tool,
          args: mapped.args,
        },
        scope,
      );
      return preToolUseOutput(decision.allowed, decisionReason(decision));
    } catch (error) {
      // authorize audits its own refusals (a stale token, the task moved on).
      if (error instanceof DomainError) return deny(`${error.code}: ${error.message}`);
      throw error;
    }
  }

  /** The task the phase token names, fully checked; every refusal is audited before it is thrown. */
  private async taskOf(
    agent: AccessClaims,
    phaseToken: string | undefined,
    scope: RequestScope | null | undefined,
  ): Promise<Task> {
    let claims: PhaseClaims;
    try {
      claims = this.phaseTokens.verifySignature(phaseToken);
    } catch (error) {
      this.failures.refused({ actor: agent.sub, role: agent.role, err: error, route: HOOK_ROUTE }, scope);
      throw error;
    }
    let task: Task;
    try {
      task = await this.tasks.getTask(claims.task_id);
    } catch (error) {
      this.failures.refused({ actor: agent.sub, role: agent.role, err: error, route: HOOK_ROUTE }, scope);
      throw error;
    }
    this.phaseTokens.verifyFor(phaseToken, agent, task, { scope });
    return task;
  }

  /** A denial the hook makes itself: audited like `/tools/authorize` denials, and an event. */
  private async denied(
    agent: AccessClaims,
    task: Task,
    claudeTool: string | null,
    reason: string,
    rule: string,
    scope: RequestScope | null | undefined,
  ): Promise<PreToolUseOutput> {
    const tool = claudeTool === null ? null : claudeTool.slice(0, MAX_TOOL_NAME);
    const entry = this.audit.record(
      {
        actor: agent.sub,
        role: agent.role,
        action: 'tool.authorize',
        decision: 'denied',
        success: false,
        task_id: task.id,
        phase: task.phase,
        tool,
        reason,
        details: { rule, source: 'claude_code_hook' },
      },
      scope,
    );
    this.events.publish('tool.denied', {
      task_id: task.id,
      actor: agent.sub,
      data: { tool, phase: task.phase, reason, rule, would_deny: false, source: 'claude_code_hook' },
    });
    // Labelled by rule, not by the tool name an agent chose (it would grow the series unbounded).
    this.metrics.decisions.inc({
      tool: `claude_code:${HOOK_RULE_LABEL[rule] ?? 'other'}`,
      phase: task.phase,
      decision: 'denied',
    });
    try {
      await entry;
    } catch (error) {
      // Still a deny: a non-2xx would let the tool run. An unwritable log holds the entry.
      if (error instanceof DomainError) return deny(`${reason} (${error.code})`);
      throw error;
    }
    return deny(reason);
  }
}

/** The tool name of untrusted input, if it has a usable one. */
function toolNameOf(input: unknown): string | null {
  const name = (input as { tool_name?: unknown } | null)?.tool_name;
  return typeof name === 'string' && name !== '' ? name : null;
}

function deny(reason: string): PreToolUseOutput {
  return preToolUseOutput(false, `orchestrator: ${reason}`);
}
