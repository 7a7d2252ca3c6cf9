#!/usr/bin/env node
/**
 * The Claude Code PreToolUse hook's own entry point, the one `orchestrator hook claude-code-settings`
 * installs. It runs before every tool call of every agent, so it loads only what a decision needs
 * (stdin, the token file, one HTTP call, the tool map): not the CLI, Nest, the validators or the
 * YAML and schema libraries, which would multiply its cost (see docs/integrations/claude-code.md).
 */
import { parseHookArgs } from './claude-code-hook.args.js';
import { failClosed, type HookProcessOptions, runHookProcess } from './claude-code-hook.process.js';

let options: HookProcessOptions;
try {
  options = parseHookArgs(process.argv.slice(2));
} catch (error) {
  failClosed((error as Error).message);
}
await runHookProcess(options);
