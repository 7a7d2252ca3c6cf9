import { type Command } from 'commander';
import { formatProblem, type WorkflowProblem } from '../domain/workflow-load.error.js';
import { tryLoadWorkflowFile, workflowFilesAt } from '../domain/workflow.loader.js';
import { type Workflow } from '../domain/workflow.runtime.js';
import { toWorkflowView } from '../domain/workflow-view.js';
import { formatTable, wrapList } from '../../common/cli/text-table.js';

/** Where commands write; tests pass collectors, the CLI passes process streams. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: CliOutput = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/**
 * `workflow validate FILE…`: every file (or directory of files) is checked and all problems
 * printed. Returns the exit code: 0 when all are valid, 1 otherwise.
 */
export function runValidate(paths: readonly string[], io: CliOutput = processOutput): number {
  let invalid = 0;
  for (const path of paths) {
    const files = workflowFilesAt(path);
    if (!Array.isArray(files)) {
      printProblems(path, [files], io);
      invalid++;
      continue;
    }
    for (const file of files) {
      const result = tryLoadWorkflowFile(file);
      if (!result.workflow) {
        printProblems(file, result.problems, io);
        printWarnings(result.warnings, io.err);
        invalid++;
        continue;
      }
      const wf = result.workflow;
      io.out(
        `✓ ${file}: ${wf.name} ${wf.version}, ${wf.phases.length} phases, ${wf.transitions.length} transitions, mode ${wf.enforcement.declared_mode}`,
      );
      printWarnings(wf.warnings, io.out);
      if (wf.unenforced.length > 0) {
        io.out(`  not enforced (kept, but the engine does not act on them):`);
        for (const u of wf.unenforced)
          io.out(`    ${u.location.file}:${u.location.line}:${u.location.col}  ${u.path}`);
      }
    }
  }
  return invalid === 0 ? 0 : 1;
}

/** Warnings never change the exit code; they go where the file's verdict went. */
function printWarnings(warnings: readonly WorkflowProblem[], write: (text: string) => void): void {
  if (warnings.length === 0) return;
  write(`  ${warnings.length === 1 ? '1 warning' : `${warnings.length} warnings`}:`);
  for (const w of warnings) write(`  warning: ${formatProblem(w).replace(/\n/g, '\n  ')}`);
}

function printProblems(file: string, problems: readonly WorkflowProblem[], io: CliOutput): void {
  io.err(`✗ ${file}: ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}`);
  for (const p of problems) io.err(`  ${formatProblem(p).replace(/\n/g, '\n  ')}`);
}

/** `workflow show FILE`: phases, tools, gates and transitions as tables (or JSON). */
export function runShow(
  path: string,
  options: { json?: boolean } = {},
  io: CliOutput = processOutput,
): number {
  const result = tryLoadWorkflowFile(path);
  if (!result.workflow) {
    printProblems(path, result.problems, io);
    return 1;
  }
  io.out(
    options.json
      ? JSON.stringify(toWorkflowView(result.workflow), null, 2)
      : describeWorkflow(result.workflow),
  );
  return 0;
}

/** `plan_document` when its schema has the same name; otherwise say which schema, or none. */
function artifactLabel(a: { type: string; schema?: string }): string {
  if (a.schema === undefined) return `${a.type} (no schema)`;
  return a.schema === a.type ? a.type : `${a.type} (schema ${a.schema})`;
}

export function describeWorkflow(wf: Workflow): string {
  const sections: string[] = [
    `${wf.name} ${wf.version} (mode ${wf.enforcement.declared_mode})${wf.description ? `\n${wf.description}` : ''}`,
    formatTable(
      ['PHASE', 'NAME', 'ALLOWED TOOLS', 'FORBIDDEN TOOLS', 'REQUIRED ARTIFACTS'],
      wf.phases.map((p) => [
        p.id,
        p.name,
        wrapList(p.allowed_tools),
        wrapList(p.forbidden_tools),
        wrapList(p.required_artifacts.map(artifactLabel), 30),
      ]),
    ),
  ];
  const constraints = wf.phases.flatMap((p) =>
    Object.entries(p.tool_constraints).map(([tool, c]) => {
      const ops = c.allow_shell_operators;
      const rules: Array<[string, readonly string[]]> = [
        ['paths', c.allowed_patterns],
        ['not paths', c.forbidden_patterns],
        ['commands', c.allowed_commands],
        ['not commands', c.forbidden_commands],
        ['shell operators', ops === true ? ['all'] : ops === false ? [] : ops],
        ['network', c.network ? ['yes'] : []],
        ['writes .git', c.allow_git_writes ? ['yes'] : []],
      ];
      const text = rules
        .filter(([, items]) => items.length > 0)
        .map(
          ([label, items]) =>
            `${label}: ${wrapList(items, 60).replace(/\n/g, `\n${' '.repeat(label.length + 2)}`)}`,
        )
        .join('\n');
      return [p.id, tool, text];
    }),
  );
  if (constraints.length) sections.push(formatTable(['PHASE', 'TOOL', 'CONSTRAINTS'], constraints));
  const gates = wf.phases.flatMap((p) =>
    p.gates.map((g) => [
      p.id,
      g.id,
      g.type + (g.approvers.length ? `\nby ${g.approvers.join(', ')}` : ''),
      g.blockers
        .map((b) => {
          const rule = b.declarative
            ? `${b.declarative.artifact}${b.declarative.pointer} ${b.declarative.op} ${JSON.stringify(b.declarative.value ?? '')}`
            : b.check;
          const params = Object.entries(b.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
          return `${b.severity.padEnd(8)} ${rule}${params.length ? ` (${params.join(', ')})` : ''}`;
        })
        .join('\n') || '-',
    ]),
  );
  if (gates.length) sections.push(formatTable(['PHASE', 'GATE', 'TYPE', 'CHECKS'], gates));
  sections.push(
    formatTable(
      ['TRANSITION', 'GATE', 'TOKEN'],
      wf.transitions.map((t) => [`${t.from} → ${t.to}`, t.gate ?? '-', t.requires_token ? 'required' : 'no']),
    ),
  );
  if (wf.unenforced.length) {
    sections.push(
      `Not enforced: ${wf.unenforced.map((u) => `${u.path} (line ${u.location.line})`).join(', ')}`,
    );
  }
  return sections.join('\n\n');
}

/**
 * Adds `workflow validate` and `workflow show` to the CLI. Exit codes go to `setExitCode`
 * (by default `process.exitCode`) so nothing here ends the process.
 */
export function registerWorkflowCommands(
  program: Command,
  io: CliOutput = processOutput,
  setExitCode: (code: number) => void = (code) => {
    process.exitCode = code;
  },
): Command {
  const workflow = program.command('workflow').description('check and inspect workflow files');
  workflow
    .command('validate')
    .description('check workflow files (or directories of them) without starting the server')
    .argument('<files...>', 'workflow YAML files or directories')
    .action((files: string[]) => setExitCode(runValidate(files, io)));
  workflow
    .command('show')
    .description('print phases, tools, gates and transitions of a workflow')
    .argument('<file>', 'workflow YAML file')
    .option('--json', 'print the workflow as JSON')
    .action((file: string, options: { json?: boolean }) => setExitCode(runShow(file, options, io)));
  return workflow;
}
