import { Injectable } from '@nestjs/common';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { DomainError } from '../common/domain/domain-error.js';
import { PhaseTokenService } from '../tasks/phase-token.service.js';
import { ToolsService } from '../tools/tools.service.js';
import {
  type ClaudeCodeHookInput,
  hookInputProblem,
  mapClaudeCodeTool,
} from './domain/claude-code-tool-map.js';
import { decisionReason, type PreToolUseOutput, preToolUseOutput } from './domain/hook-output.js';

/**
 * Claude Code's HTTP hook: the same decision as `/tools/authorize`, answered in the hook's JSON.
 * Every refusal is a 200 deny, because Claude Code lets a tool run when an HTTP hook answers non-2xx.
 */
@Injectable()
export class HooksService {
  constructor(
    private readonly tools: ToolsService,
    private readonly phaseTokens: PhaseTokenService,
  ) {}

  async preToolUse(
    agent: AccessClaims,
    phaseToken: string | undefined,
    input: unknown,
  ): Promise<PreToolUseOutput> {
    const problem = hookInputProblem(input);
    if (problem) return deny(problem);
    const mapped = mapClaudeCodeTool(input as ClaudeCodeHookInput);
    if ('denied' in mapped) return deny(mapped.denied);
    if (!phaseToken) return deny('missing_phase_token: send the phase token in X-Phase-Token');
    try {
      // The token names its task; authorize then checks it fully (agent, task, version).
      const { task_id } = this.phaseTokens.verifySignature(phaseToken);
      const decision = await this.tools.authorize(agent, {
        task_id,
        phase_token: phaseToken,
        tool_name: mapped.tool,
        args: mapped.args,
      });
      return preToolUseOutput(decision.allowed, decisionReason(decision));
    } catch (error) {
      if (error instanceof DomainError) return deny(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}

function deny(reason: string): PreToolUseOutput {
  return preToolUseOutput(false, `orchestrator: ${reason}`);
}
