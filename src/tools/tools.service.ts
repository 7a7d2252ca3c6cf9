import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/domain/clock.js';
import { DomainError, ForbiddenError } from '../common/domain/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { EventBus } from '../events/event-bus.js';
import { AgentTasksService } from '../tasks/agent-tasks.service.js';
import { TaskWorkflows } from '../tasks/workflow-of-task.js';
import { type Task } from '../tasks/domain/task.model.js';
import {
  decideTool,
  type DenialCode,
  resolvedPathRule,
  type ToolDecision,
  WORKSPACE_RULE,
} from '../workflow/domain/tool-policy.js';
import { canonicalTool, constraintOf, namesOfTool } from '../workflow/domain/tool-names.js';
import { type Workflow } from '../workflow/domain/workflow.runtime.js';
import { checkCommandArgs } from './domain/command-arg-caps.js';
import { CommandSlots } from './domain/command-slots.js';
import { type ExecuteOptions } from './domain/tool-executor.js';
import { ToolRegistry } from './domain/tool.registry.js';
import { type ToolDecisionDto, type ToolExecutionDto, type ToolRequestDto } from './dto/tool-request.dto.js';
import { ToolMetrics } from './tool-metrics.js';
import { type RequestScope } from '../common/http/request-scope.js';

/**
 * `/tools/authorize` and `/tools/execute`: the phase token is checked, then the workflow's
 * tool decision is made (before any argument touches the file system), then, for execute,
 * the tool runs confined to the workspace.
 */
@Injectable()
export class ToolsService {
  private readonly commandSlots: CommandSlots;

  constructor(
    private readonly tasks: AgentTasksService,
    private readonly workflows: TaskWorkflows,
    @Inject(ToolRegistry) private readonly registry: ToolRegistry,
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
    private readonly metrics: ToolMetrics,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {
    const { max_concurrent_commands, max_concurrent_commands_per_agent } = config.values.tools;
    this.commandSlots = new CommandSlots(max_concurrent_commands, max_concurrent_commands_per_agent);
  }

  async authorize(
    agent: AccessClaims,
    request: ToolRequestDto,
    scope?: RequestScope | null,
  ): Promise<ToolDecisionDto> {
    const { task, workflow } = await this.context(agent, request, scope);
    const decision = this.decide(agent, task, workflow, request);
    await this.auditCall(agent, task, request, 'tool.authorize', decision, scope);
    return view(decision);
  }

  async execute(
    agent: AccessClaims,
    request: ToolRequestDto,
    scope?: RequestScope | null,
  ): Promise<ToolExecutionDto> {
    if (!this.config.values.tools.execution_enabled) {
      throw new ForbiddenError(
        'execution_disabled',
        'this server does not run tools (tools.execution_enabled is false); use /tools/authorize',
      );
    }
    const { task, workflow } = await this.context(agent, request, scope);
    const decision = this.decide(agent, task, workflow, request);
    if (!decision.allowed) {
      await this.auditCall(agent, task, request, 'tool.execute', decision, scope);
      throw new ForbiddenError(decision.code ?? 'tool_forbidden', decision.reason, {
        phase: decision.phase,
        tool: decision.tool,
        rule: decision.rule ?? null,
      });
    }
    const tool = decision.tool;
    const label = this.toolLabel(workflow, task.phase, tool);
    const started = this.clock.now();
    let outcome:
      | { ok: true; result: object; duration: number; paths: string[] }
      | { ok: false; error: unknown; duration: number };
    let release = () => {};
    try {
      if (this.registry.needsSlot(tool)) release = this.commandSlots.acquire(agent.sub);
      const execution = await this.registry.execute(
        tool,
        request.args ?? {},
        this.executeOptions(workflow, decision, tool),
      );
      outcome = {
        ok: true,
        result: execution.result,
        duration: execution.duration_ms,
        paths: execution.paths,
      };
    } catch (error) {
      outcome = { ok: false, error, duration: this.clock.now() - started };
    } finally {
      release();
    }
    const code = outcome.ok ? 'ok' : outcome.error instanceof DomainError ? outcome.error.code : 'error';
    this.metrics.duration.observe(
      { tool: label, outcome: outcome.ok ? 'ok' : 'error' },
      outcome.duration / 1000,
    );
    // A path the policy allowed as written but that lands somewhere its rules forbid, or outside
    // the workspace (a symlink out), is a denial: recorded as the policy records one.
    const denial =
      !outcome.ok &&
      outcome.error instanceof DomainError &&
      (outcome.error.code === 'tool_forbidden' || outcome.error.code === 'path_outside_workspace')
        ? outcome.error
        : null;
    const recorded: ToolDecision = denial
      ? {
          ...decision,
          allowed: false,
          reason: denial.message,
          code: denial.code as DenialCode,
          rule:
            denial.code === 'path_outside_workspace'
              ? WORKSPACE_RULE
              : String(denial.details?.rule ?? decision.rule),
        }
      : decision;
    await this.auditCall(agent, task, request, 'tool.execute', recorded, scope, {
      success: outcome.ok,
      duration_ms: outcome.duration,
      outcome: code,
      reason: outcome.ok
        ? null
        : outcome.error instanceof Error
          ? outcome.error.message
          : String(outcome.error),
      exit_code: outcome.ok ? ((outcome.result as { exit_code?: unknown }).exit_code ?? null) : null,
      paths: outcome.ok ? outcome.paths : [],
      sandbox: this.registry.runsCommands(tool) ? this.registry.sandboxMode : null,
    });
    this.events.publish('tool.executed', {
      task_id: task.id,
      actor: agent.sub,
      data: { tool, phase: task.phase, outcome: code, duration_ms: outcome.duration },
    });
    if (!outcome.ok) throw outcome.error;
    return { result: outcome.result, logged: true, duration_ms: outcome.duration, phase: task.phase };
  }

  /** One durable audit entry per decision or execution, awaited before the answer. */
  private auditCall(
    agent: AccessClaims,
    task: Task,
    request: ToolRequestDto,
    action: 'tool.authorize' | 'tool.execute',
    decision: ToolDecision,
    scope: RequestScope | null | undefined,
    execution?: {
      success: boolean;
      duration_ms: number;
      outcome: string;
      reason: string | null;
      exit_code: unknown;
      /** Real workspace-relative paths the arguments named. */
      paths: string[];
      /** How a command ran (`bubblewrap`, `none`); null for tools that run none. */
      sandbox: string | null;
    },
  ): Promise<unknown> {
    return this.audit.record(
      {
        actor: agent.sub,
        role: agent.role,
        action,
        decision: decision.allowed ? 'allowed' : 'denied',
        success: execution ? execution.success : decision.allowed,
        task_id: task.id,
        phase: task.phase,
        // One tool, one name: `grep` also when the agent called it `search_files`.
        tool: decision.tool,
        args: request.args ?? {},
        reason: execution?.reason ?? decision.reason,
        duration_ms: execution?.duration_ms ?? null,
        details: {
          ...(request.tool_name !== decision.tool ? { called_as: request.tool_name } : {}),
          rule: decision.rule ?? null,
          ...(decision.code ? { code: decision.code } : {}),
          mode: decision.mode,
          would_deny: decision.would_deny,
          ...(execution
            ? {
                outcome: execution.outcome,
                exit_code: execution.exit_code,
                ...(execution.paths.length > 0 ? { paths: execution.paths } : {}),
                ...(execution.sandbox ? { sandbox: execution.sandbox } : {}),
              }
            : {}),
        },
      },
      scope,
    );
  }

  private async context(
    agent: AccessClaims,
    request: ToolRequestDto,
    scope: RequestScope | null | undefined,
  ): Promise<{ task: Task; workflow: Workflow }> {
    const task = await this.tasks.taskForToken(agent, request.task_id, request.phase_token, { scope });
    return { task, workflow: this.workflows.of(task) };
  }

  private decide(agent: AccessClaims, task: Task, workflow: Workflow, request: ToolRequestDto): ToolDecision {
    // Before the policy parses a command: the same caps on authorize as on execute.
    checkCommandArgs(request.args ?? {});
    const decision = decideTool(workflow.runtime.toolPolicy, {
      phase: task.phase,
      tool: request.tool_name,
      args: request.args ?? {},
      workspaceRoot: this.registry.workspace.root,
    });
    const label = this.toolLabel(workflow, task.phase, decision.tool);
    this.metrics.decisions.inc({
      tool: label,
      phase: task.phase,
      decision: decision.allowed ? 'allowed' : 'denied',
    });
    this.events.publish(decision.allowed ? 'tool.authorized' : 'tool.denied', {
      task_id: task.id,
      actor: agent.sub,
      data: {
        tool: decision.tool,
        phase: task.phase,
        reason: decision.reason,
        rule: decision.rule ?? null,
        would_deny: decision.would_deny,
      },
    });
    return decision;
  }

  /**
   * What the workflow lets this call do beyond the policy's decision: shell operators (already
   * checked against the command), network and `.git` writes for its commands, and, in strict
   * mode, the phase's path rules applied again where each path really lands.
   */
  private executeOptions(workflow: Workflow, decision: ToolDecision, tool: string): ExecuteOptions {
    const constraint = constraintOf(workflow.runtime.phases.get(decision.phase), tool);
    const operators = constraint?.allow_shell_operators ?? false;
    return {
      allowShellOperators: operators === true || (Array.isArray(operators) && operators.length > 0),
      network: this.config.values.tools.sandbox_network || constraint?.network === true,
      gitWritable: constraint?.allow_git_writes === true,
      ...(decision.mode === 'strict'
        ? { pathRule: resolvedPathRule(workflow.runtime.toolPolicy, decision.phase, tool) }
        : {}),
    };
  }

  /**
   * Tool names come from clients: only names the workflow or the server knows become labels,
   * each tool under its canonical name (`grep`, whether called `grep` or `search_files`).
   */
  private toolLabel(workflow: Workflow, phase: string, tool: string): string {
    const spec = workflow.runtime.phases.get(phase);
    const names = namesOfTool(tool);
    const known =
      this.registry.has(tool) ||
      names.some((name) => spec?.allowed_tools.includes(name) || spec?.forbidden_tools.includes(name));
    return known ? canonicalTool(tool) : 'other';
  }
}

function view(decision: ToolDecision): ToolDecisionDto {
  return {
    allowed: decision.allowed,
    reason: decision.reason,
    phase: decision.phase,
    tool: decision.tool,
    ...(decision.rule ? { rule: decision.rule } : {}),
    ...(decision.code ? { code: decision.code } : {}),
    mode: decision.mode,
    would_deny: decision.would_deny,
  };
}
