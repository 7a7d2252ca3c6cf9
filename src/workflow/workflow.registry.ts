import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { packageInfo } from '../common/package-info.js';
import { type WorkflowCatalog } from './domain/workflow-catalog.js';
import { formatProblem } from './domain/workflow-load.error.js';
import { loadWorkflowPath } from './domain/workflow.loader.js';
import { type Workflow } from './domain/workflow.runtime.js';

/**
 * The workflows this process enforces, loaded from `workflow.path` (a file or a directory)
 * at start-up. A workflow that does not load stops start-up with every problem listed.
 */
@Injectable()
export class WorkflowRegistry implements OnModuleInit {
  private catalog: WorkflowCatalog | null = null;
  private readonly logger = new Logger('Workflow');

  constructor(private readonly config: AppConfig) {}

  onModuleInit(): void {
    this.loaded();
  }

  /**
   * Absolute path workflows are read from. When `workflow.path` was not configured and the
   * working directory has no `workflows/`, the default workflow shipped with the package is used,
   * so the server starts from any directory.
   */
  path(): string {
    const configured = resolve(this.config.baseDir, this.config.values.workflow.path);
    if (this.config.sourceOf('workflow.path') !== 'default' || existsSync(configured)) return configured;
    return join(packageInfo.root, this.config.values.workflow.path);
  }

  /** Loads on first use too, so providers initialised earlier can depend on it. */
  private loaded(): WorkflowCatalog {
    if (this.catalog) return this.catalog;
    this.catalog = loadWorkflowPath(this.path(), { defaultName: this.config.values.workflow.default });
    // What loads but will not do what its author may expect (see `workflow validate`).
    for (const wf of this.catalog.list()) {
      for (const w of wf.warnings) this.logger.warn(`workflow ${wf.name} ${wf.version}: ${formatProblem(w)}`);
    }
    return this.catalog;
  }

  getDefault(): Workflow {
    return this.loaded().defaultWorkflow;
  }

  /** The newest version of `name`, or that version; NotFoundError `workflow_not_found` otherwise. */
  get(name: string, version?: string): Workflow {
    return this.loaded().get(name, version);
  }

  /** Whether that exact version (or any version of `name`) is loaded. */
  has(name: string, version?: string): boolean {
    return this.loaded().find(name, version) !== undefined;
  }

  list(): Workflow[] {
    return this.loaded().list();
  }

  isLoaded(): boolean {
    return this.catalog !== null;
  }

  /** The fields `GET /` shows about workflows. */
  status(): { name: string; version: string; enforcement_mode: string; loaded: number } {
    const wf = this.getDefault();
    return {
      name: wf.name,
      version: wf.version,
      enforcement_mode: wf.enforcement.mode,
      loaded: this.list().length,
    };
  }
}
