/** The JSON a PreToolUse hook prints (command hook) or answers (HTTP hook). */
export interface PreToolUseOutput {
  hookSpecificOutput: {
    hookEventName: 'PreToolUse';
    permissionDecision: 'allow' | 'deny';
    permissionDecisionReason: string;
  };
}

/** Builds the hook answer Claude Code understands. */
export function preToolUseOutput(allowed: boolean, reason: string): PreToolUseOutput {
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: allowed ? 'allow' : 'deny',
      permissionDecisionReason: reason,
    },
  };
}

/** The orchestrator's decision, as a reason naming the phase and the rule. */
export function decisionReason(decision: {
  reason: string;
  phase: string;
  tool: string;
  rule?: string;
}): string {
  return `orchestrator: ${decision.reason} [phase ${decision.phase}, tool ${decision.tool}, rule ${decision.rule ?? 'none'}]`;
}
