import { isAbsolute, relative } from 'node:path';

/** The fields of a Claude Code PreToolUse hook input that the mapping reads. */
export interface ClaudeCodeHookInput {
  hook_event_name?: string;
  tool_name: string;
  tool_input: Record<string, unknown>;
  cwd?: string;
  session_id?: string;
}

/** A workflow tool call, or the reason there is none. */
export type MappedTool = { tool: string; args: Record<string, unknown> } | { denied: string };

/** Extra Claude Code tool name → workflow tool name pairs; their tool_input is passed on unchanged. */
export type ToolMap = Record<string, string>;

type Mapper = (input: Record<string, unknown>, cwd: string | undefined) => Record<string, unknown>;

/**
 * Claude Code hands absolute paths; workflow globs match workspace-relative ones. Paths inside the
 * project directory (the hook's `cwd`) are made relative; others pass unchanged so the server's
 * workspace check sees (and refuses) them.
 */
export function workspacePath(path: unknown, cwd: string | undefined): unknown {
  if (typeof path !== 'string' || !cwd || !isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Copies the defined keys only: an `undefined` arg would fail the tool schemas. */
function defined(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
}

const BUILT_IN: Record<string, { tool: string; args: Mapper }> = {
  Read: { tool: 'read_files', args: (i, cwd) => ({ path: workspacePath(i.file_path, cwd) }) },
  Write: {
    tool: 'write_files',
    args: (i, cwd) => ({ path: workspacePath(i.file_path, cwd), content: i.content }),
  },
  Edit: {
    tool: 'edit_files',
    args: (i, cwd) => ({
      path: workspacePath(i.file_path, cwd),
      old_string: i.old_string,
      new_string: i.new_string,
      replace_all: i.replace_all,
    }),
  },
  // The policy decides on the path; the first edit stands in for the rest.
  MultiEdit: {
    tool: 'edit_files',
    args: (i, cwd) => {
      const first = (Array.isArray(i.edits) ? i.edits[0] : undefined) as Record<string, unknown> | undefined;
      return {
        path: workspacePath(i.file_path, cwd),
        old_string: first?.old_string ?? '',
        new_string: first?.new_string ?? '',
        replace_all: first?.replace_all,
      };
    },
  },
  Bash: { tool: 'bash', args: (i) => ({ command: i.command }) },
  // The workflow names of the grep/glob executors: policies list these, not the aliases.
  Grep: {
    tool: 'search_files',
    args: (i, cwd) => ({ pattern: i.pattern, path: workspacePath(i.path, cwd), glob: i.glob }),
  },
  Glob: { tool: 'list_files', args: (i, cwd) => ({ pattern: i.pattern, cwd: workspacePath(i.path, cwd) }) },
};

/** Maps a Claude Code tool call to a workflow tool call; anything unknown is denied. */
export function mapClaudeCodeTool(input: ClaudeCodeHookInput, extra: ToolMap = {}): MappedTool {
  const custom = Object.hasOwn(extra, input.tool_name) ? extra[input.tool_name] : undefined;
  if (custom) return { tool: custom, args: input.tool_input };
  const builtIn = Object.hasOwn(BUILT_IN, input.tool_name) ? BUILT_IN[input.tool_name] : undefined;
  if (!builtIn) {
    return {
      denied: `Claude Code tool '${input.tool_name}' has no workflow tool (add it to ORCHESTRATOR_HOOK_TOOL_MAP)`,
    };
  }
  return { tool: builtIn.tool, args: defined(builtIn.args(input.tool_input, input.cwd)) };
}

/** Checks the shape of untrusted hook JSON; returns why it is unusable, or undefined. */
export function hookInputProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'hook input is not a JSON object';
  const record = value as Record<string, unknown>;
  if (typeof record.tool_name !== 'string' || record.tool_name === '') return 'hook input has no tool_name';
  const toolInput = record.tool_input;
  if (typeof toolInput !== 'object' || toolInput === null || Array.isArray(toolInput)) {
    return 'hook input has no tool_input object';
  }
  return undefined;
}

/** Parses a tool map (JSON object of strings); throws with a readable message when malformed. */
export function parseToolMap(json: string | undefined): ToolMap {
  if (json === undefined || json.trim() === '') return {};
  const value = JSON.parse(json) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('the tool map must be a JSON object of Claude Code tool name → workflow tool name');
  }
  for (const [key, tool] of Object.entries(value)) {
    if (typeof tool !== 'string') throw new Error(`the tool map entry '${key}' is not a string`);
  }
  return value as ToolMap;
}
