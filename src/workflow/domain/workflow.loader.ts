import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WorkflowCatalog } from './workflow-catalog.js';
import { WorkflowLoadError, type WorkflowProblem } from './workflow-load.error.js';
import { NO_FILES, parseWorkflow, type WorkflowFiles } from './workflow.parser.js';
import { compileRuntime, deepFreeze, type Workflow } from './workflow.runtime.js';
import { validateWorkflow } from './workflow.validator.js';

export interface LoadResult {
  readonly workflow?: Workflow;
  readonly problems: readonly WorkflowProblem[];
  /** Also when the file fails to load, so `validate` can show them beside the problems. */
  readonly warnings: readonly WorkflowProblem[];
}

/** Parses, validates and compiles one workflow; never throws for a bad file. */
export function tryLoadWorkflowText(text: string, file: string, files: WorkflowFiles = NO_FILES): LoadResult {
  const { definition, ctx } = parseWorkflow(text, file, files);
  if (!definition) return { problems: ctx.problems, warnings: sortProblems(ctx.warnings) };
  validateWorkflow(definition, ctx);
  // Compile even with problems so schema errors are reported in the same pass.
  const runtime = compileRuntime(definition, ctx);
  const warnings = sortProblems(ctx.warnings);
  if (ctx.problems.length > 0) return { problems: sortProblems(ctx.problems), warnings };
  return {
    workflow: Object.freeze({ ...deepFreeze({ ...definition, warnings }), runtime }),
    problems: [],
    warnings,
  };
}

export function loadWorkflowText(text: string, file: string, files: WorkflowFiles = NO_FILES): Workflow {
  const result = tryLoadWorkflowText(text, file, files);
  if (!result.workflow) throw new WorkflowLoadError(result.problems);
  return result.workflow;
}

/** Schema files and `schemas_dir` are read relative to the workflow file. */
export function filesBeside(file: string): WorkflowFiles {
  const dir = dirname(file);
  return {
    read(relative) {
      const path = join(dir, relative);
      try {
        return { path, text: readFileSync(path, 'utf8') };
      } catch (err) {
        return { path, error: (err as NodeJS.ErrnoException).code ?? String(err) };
      }
    },
    list(relative) {
      const path = join(dir, relative);
      try {
        return { path, entries: readdirSync(path) };
      } catch (err) {
        return { path, error: (err as NodeJS.ErrnoException).code ?? String(err) };
      }
    },
  };
}

export function tryLoadWorkflowFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      problems: [
        { file, line: 1, col: 1, message: `cannot read workflow file: ${code}`, fix: 'check the path' },
      ],
      warnings: [],
    };
  }
  return tryLoadWorkflowText(text, file, filesBeside(file));
}

export function loadWorkflowFile(file: string): Workflow {
  const result = tryLoadWorkflowFile(file);
  if (!result.workflow) throw new WorkflowLoadError(result.problems);
  return result.workflow;
}

/** The workflow files `path` stands for: itself, or the *.yaml / *.yml directly in it. */
export function workflowFilesAt(path: string): string[] | WorkflowProblem {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      file: path,
      line: 1,
      col: 1,
      message: `cannot read workflow path: ${code}`,
      fix: 'set workflow.path to a workflow file or a directory of them',
    };
  }
  if (!isDir) return [path];
  const files = readdirSync(path)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) {
    return {
      file: path,
      line: 1,
      col: 1,
      message: 'directory holds no *.yaml or *.yml workflow files',
      fix: 'add a workflow file, or point workflow.path at one',
    };
  }
  return files;
}

/**
 * Loads a workflow file, or every workflow in a directory (schemas_dir files belong in a
 * subdirectory). All problems of all files are reported together.
 */
export function loadWorkflowPath(
  path: string,
  options: { defaultName?: string | null } = {},
): WorkflowCatalog {
  const files = workflowFilesAt(path);
  if (!Array.isArray(files)) throw new WorkflowLoadError([files]);
  const workflows: Workflow[] = [];
  const problems: WorkflowProblem[] = [];
  for (const file of files) {
    const result = tryLoadWorkflowFile(file);
    if (result.workflow) workflows.push(result.workflow);
    problems.push(...result.problems);
  }
  if (problems.length > 0) throw new WorkflowLoadError(problems);
  return WorkflowCatalog.create(workflows, options.defaultName ?? null, path);
}

/** In reading order: by file (first seen first), then line and column. */
function sortProblems(problems: readonly WorkflowProblem[]): WorkflowProblem[] {
  const fileOrder = new Map<string, number>();
  for (const p of problems) if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
  const rank = (p: WorkflowProblem) => fileOrder.get(p.file) ?? 0;
  return [...problems].sort((a, b) => rank(a) - rank(b) || a.line - b.line || a.col - b.col);
}
