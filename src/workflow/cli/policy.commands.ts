import { resolve } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { DomainError, InvalidInputError } from '../../common/domain/domain-error.js';
import { checkCommandArgs } from '../../tools/domain/command-arg-caps.js';
import { formatProblem } from '../domain/workflow-load.error.js';
import { tryLoadWorkflowFile } from '../domain/workflow.loader.js';
import { askPolicy, type PolicyAnswer } from '../domain/policy-question.js';
import { type CliOutput, processOutput } from './workflow.commands.js';

/** Exit codes of `policy check`, as `opa eval --fail` scripts expect: allow, deny, bad input. */
export const POLICY_EXIT = { allow: 0, deny: 1, badInput: 2 } as const;

export interface PolicyCheckOptions {
  workflow?: string;
  phase?: string;
  tool?: string;
  path?: string[];
  command?: string;
  args?: string;
  workspace?: string;
  mode?: string;
  json?: boolean;
}

/**
 * `policy check`: decides one tool call against a workflow file without a server, as
 * `/tools/authorize` would for a task in that phase. Returns the exit code.
 */
export function runPolicyCheck(options: PolicyCheckOptions, io: CliOutput = processOutput): number {
  const missing = (['workflow', 'phase', 'tool'] as const).filter((key) => !options[key]);
  if (missing.length > 0) return badInput(io, `missing ${missing.map((k) => `--${k}`).join(', ')}`);
  const loaded = tryLoadWorkflowFile(options.workflow as string);
  if (!loaded.workflow) {
    io.err(`✗ ${options.workflow}: not a valid workflow`);
    for (const p of loaded.problems) io.err(`  ${formatProblem(p).replace(/\n/g, '\n  ')}`);
    return POLICY_EXIT.badInput;
  }
  let answer: PolicyAnswer;
  try {
    const args = parseArgs(options.args);
    answer = askPolicy(loaded.workflow, {
      phase: options.phase as string,
      tool: options.tool as string,
      ...(options.path ? { paths: options.path } : {}),
      ...(options.command !== undefined ? { command: options.command } : {}),
      ...(args ? { args } : {}),
      workspaceRoot: resolve(options.workspace ?? '.'),
      ...(options.mode !== undefined ? { mode: options.mode } : {}),
    });
    // The server refuses an oversized command before deciding: so does the check.
    checkCommandArgs(answer.args);
  } catch (err) {
    if (err instanceof DomainError) return badInput(io, `${err.code}: ${err.message}`);
    throw err;
  }
  io.out(options.json ? JSON.stringify(answerView(answer), null, 2) : describeAnswer(answer));
  return answer.decision.allowed ? POLICY_EXIT.allow : POLICY_EXIT.deny;
}

function parseArgs(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidInputError('invalid_tool_args', '--args must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function badInput(io: CliOutput, message: string): number {
  io.err(`policy check: ${message}`);
  return POLICY_EXIT.badInput;
}

function answerView(answer: PolicyAnswer): Record<string, unknown> {
  const d = answer.decision;
  return {
    decision: d.allowed ? 'allow' : 'deny',
    allowed: d.allowed,
    would_deny: d.would_deny,
    tool: d.tool,
    phase: d.phase,
    mode: d.mode,
    rule: answer.decided_by,
    code: d.code ?? null,
    reason: d.reason,
    args: answer.args,
  };
}

function describeAnswer(answer: PolicyAnswer): string {
  const d = answer.decision;
  const mode = d.would_deny ? `mode ${d.mode}: strict would deny` : `mode ${d.mode}`;
  return [
    `${d.allowed ? 'allow' : 'deny'}  ${d.tool} in ${d.phase} (${mode})`,
    `  rule:   ${answer.decided_by}`,
    `  reason: ${d.reason}`,
  ].join('\n');
}

/** Adds `policy check` to the CLI; usage errors exit 2 like every other bad input. */
export function registerPolicyCommands(
  program: Command,
  io: CliOutput = processOutput,
  setExitCode: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): Command {
  const policy = program.command('policy').description('ask a workflow policy questions offline');
  policy
    .command('check')
    .description('allow or deny one tool call in a phase, and the rule that decided (no server)')
    .option('-w, --workflow <file>', 'workflow YAML file')
    .option('-p, --phase <id>', 'phase the task is in, e.g. TDD')
    .option('-t, --tool <name>', 'tool name, e.g. write_files')
    .option('--path <path>', 'a path the call names (repeatable)', collect)
    .option('--command <line>', 'the command line of a bash/run_tests call')
    .option('--args <json>', 'further call arguments as a JSON object')
    .option('--workspace <dir>', 'workspace root for absolute paths (default: .)')
    .option('--mode <mode>', 'override the enforcement mode (strict, permissive, audit)')
    .option('--json', 'print the decision as JSON')
    .exitOverride((err: CommanderError) => {
      // Help and version exit 0; an unknown option or a missing value is bad input.
      process.exit(err.exitCode === 0 ? 0 : POLICY_EXIT.badInput);
    })
    .action((options: PolicyCheckOptions) => setExitCode(runPolicyCheck(options, io)));
  return policy;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
