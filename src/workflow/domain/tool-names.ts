import { type PhaseSpec, type ToolConstraintSpec } from './workflow.model.js';

/**
 * Names that stand for another tool (API.md, "Built-in tools"). The policy, the audit and the
 * metrics see one tool under its canonical name, so a workflow allowing `search_files` allows
 * `grep` too and a forbidden `grep` cannot be reached as `search_files`.
 */
export const TOOL_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  search_files: 'grep',
  list_files: 'glob',
});

export function canonicalTool(name: string): string {
  return Object.hasOwn(TOOL_ALIASES, name) ? TOOL_ALIASES[name] : name;
}

/** Every name of the tool `name` stands for: its canonical name first, then its aliases. */
export function namesOfTool(name: string): readonly string[] {
  const canonical = canonicalTool(name);
  return [canonical, ...Object.keys(TOOL_ALIASES).filter((alias) => TOOL_ALIASES[alias] === canonical)];
}

/** The phase's constraints for a tool, written under any of its names. */
export function constraintOf(phase: PhaseSpec | undefined, tool: string): ToolConstraintSpec | undefined {
  if (!phase) return undefined;
  const key = namesOfTool(tool).find((name) => Object.hasOwn(phase.tool_constraints, name));
  return key === undefined ? undefined : phase.tool_constraints[key];
}
