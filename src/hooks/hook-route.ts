/** Where the server answers Claude Code's PreToolUse hook (the HTTP hook, and the command hook's unmapped tools). */
export const HOOK_ROUTE = '/api/v1/hooks/claude-code/pre-tool-use';
