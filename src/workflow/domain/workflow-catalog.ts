import { closest } from '../../common/domain/closest.js';
import { NotFoundError } from '../../common/domain/domain-error.js';
import { WorkflowLoadError, type WorkflowProblem } from './workflow-load.error.js';
import { type Workflow } from './workflow.runtime.js';

/** Orders versions numerically segment by segment: 1.10 > 1.9 > 1.2.1 > 1.2. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The loaded workflows, by name and version, and which one is the default. */
export class WorkflowCatalog {
  private constructor(
    private readonly byName: ReadonlyMap<string, readonly Workflow[]>,
    readonly defaultWorkflow: Workflow,
  ) {}

  /** Validates names and picks the default; problems are load errors at `source`. */
  static create(workflows: readonly Workflow[], defaultName: string | null, source: string): WorkflowCatalog {
    const byName = new Map<string, Workflow[]>();
    const problems: WorkflowProblem[] = [];
    for (const wf of workflows) {
      const versions = byName.get(wf.name) ?? [];
      const twin = versions.find((v) => v.version === wf.version);
      if (twin) {
        problems.push({
          file: wf.file,
          line: 1,
          col: 1,
          message: `workflow '${wf.name}' version ${wf.version} is also defined in ${twin.file}`,
          fix: 'change the version or the name of one of them',
        });
      }
      versions.push(wf);
      byName.set(wf.name, versions);
    }
    for (const versions of byName.values()) versions.sort((a, b) => compareVersions(b.version, a.version));
    const names = [...byName.keys()];
    let name = defaultName;
    if (name === null && names.length === 1) name = names[0];
    if (name === null) {
      problems.push({
        file: source,
        line: 1,
        col: 1,
        message: `several workflows (${names.join(', ')}) and no default`,
        fix: 'set workflow.default to one of them',
      });
    } else if (!byName.has(name)) {
      const near = closest(name, names);
      problems.push({
        file: source,
        line: 1,
        col: 1,
        message: `default workflow '${name}' is not among ${names.join(', ') || '(none)'}`,
        fix: near ? `did you mean '${near}'?` : 'set workflow.default to a loaded workflow name',
      });
    }
    if (problems.length > 0 || name === null) throw new WorkflowLoadError(problems);
    const versions = byName.get(name) as readonly Workflow[];
    return new WorkflowCatalog(byName, versions[0]);
  }

  /** Every workflow, newest version first within a name. */
  list(): Workflow[] {
    return [...this.byName.values()].flat();
  }

  /** The newest version of `name`, or that exact version. */
  find(name: string, version?: string): Workflow | undefined {
    const versions = this.byName.get(name);
    if (!versions) return undefined;
    return version === undefined ? versions[0] : versions.find((w) => w.version === version);
  }

  get(name: string, version?: string): Workflow {
    const found = this.find(name, version);
    if (!found) {
      const what = version === undefined ? `'${name}'` : `'${name}' version ${version}`;
      throw new NotFoundError('workflow_not_found', `workflow ${what} is not loaded`);
    }
    return found;
  }
}
