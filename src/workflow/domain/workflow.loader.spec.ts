import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareVersions } from './workflow-catalog.js';
import { WorkflowLoadError } from './workflow-load.error.js';
import {
  loadWorkflowFile,
  loadWorkflowPath,
  loadWorkflowText,
  tryLoadWorkflowFile,
} from './workflow.loader.js';

const FIXTURES = 'test/fixtures/workflows';

function loadError(fn: () => unknown): WorkflowLoadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WorkflowLoadError) return err;
    throw err;
  }
  throw new Error('expected a WorkflowLoadError');
}

describe('loading a workflow', () => {
  it('builds the typed model with defaults', () => {
    const wf = loadWorkflowText(
      `name: m
version: 1.10
description: d
phases:
  - id: A
    allowed_tools: [read_files]
    required_artifacts: [notes]
    gates:
      - id: g
        type: approval
        blockers: []
        approvers: [operator]
        timeout_seconds: 60
  - id: B
    name: Bee
transitions:
  - { from: A, to: B, gate: g, requires_token: false }
`,
      'm.yaml',
    );
    expect(wf).toMatchObject({
      name: 'm',
      version: '1.10',
      description: 'd',
      file: 'm.yaml',
      unenforced: [],
    });
    expect(wf.enforcement).toEqual({
      mode: 'strict',
      declared_mode: 'strict',
      phase_tokens: { enabled: true },
    });
    expect(wf.phases[0]).toMatchObject({
      id: 'A',
      name: 'A',
      allowed_tools: ['read_files'],
      forbidden_tools: [],
      required_artifacts: [{ type: 'notes' }],
      gates: [{ id: 'g', type: 'approval', blockers: [], approvers: ['operator'], timeout_seconds: 60 }],
      tool_constraints: {},
      location: { file: 'm.yaml', line: 5, col: 9 },
    });
    expect(wf.phases[1].name).toBe('Bee');
    expect(wf.transitions[0]).toMatchObject({ from: 'A', to: 'B', gate: 'g', requires_token: false });
  });

  it('keeps unknown keys as not enforced, with their path and position', () => {
    const wf = loadWorkflowText(
      'name: u\nphases:\n  - id: A\n    auto_advance: true\n    x_custom: { a: 1 }\nmonitoring: { on: true }\n',
      'u.yaml',
    );
    expect(wf.unenforced).toEqual([
      { path: 'monitoring', location: { file: 'u.yaml', line: 6, col: 1 }, value: { on: true } },
      { path: 'phases[0].auto_advance', location: { file: 'u.yaml', line: 4, col: 5 }, value: true },
      { path: 'phases[0].x_custom', location: { file: 'u.yaml', line: 5, col: 5 }, value: { a: 1 } },
    ]);
  });

  it('reads schemas_dir files (JSON and YAML) and schema paths relative to the workflow file', () => {
    const wf = loadWorkflowFile(join(FIXTURES, 'legacy_workflow.yaml'));
    expect(Object.keys(wf.schemas).sort()).toEqual([
      'plan_document',
      'schemas/plan_document.json',
      'test_run_result',
    ]);
    expect(wf.schemas['test_run_result'].location.file).toBe(join(FIXTURES, 'schemas/test_run_result.yaml'));
    expect([...wf.runtime.validators.keys()].sort()).toEqual([
      'plan_document',
      'schemas/plan_document.json',
      'test_run_result',
    ]);
  });

  it('reports unreadable schema files and schemas_dir, and syntax errors inside schema files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    try {
      writeFileSync(join(dir, 'bad.json'), '{\n  "type": "object",\n  "required": [\n}\n');
      writeFileSync(
        join(dir, 'wf.yaml'),
        'name: s\nschemas_dir: nope\nphases:\n  - id: A\n    required_artifacts:\n      - { type: a, schema: missing.json }\n      - { type: b, schema: bad.json }\n',
      );
      const { problems, warnings } = tryLoadWorkflowFile(join(dir, 'wf.yaml'));
      // A schemas_dir that does not exist is a warning (the earlier format's files name one).
      expect(warnings.map((w) => [w.line, w.message])).toEqual([
        [2, "schemas_dir 'nope' does not exist; no schemas are read from it"],
      ]);
      expect(problems.map((p) => [p.file.replace(dir, '<dir>'), p.line, p.message.split(':')[0]])).toEqual([
        ['<dir>/wf.yaml', 6, "artifact 'a' names schema file 'missing.json' which cannot be read"],
        ['<dir>/bad.json', 4, 'invalid YAML'],
        ['<dir>/bad.json', 4, 'invalid YAML'],
      ]);
      expect(problems[2].message).toBe('invalid YAML: Flow map must end with a }');
      // One that cannot be read for another reason is still an error.
      writeFileSync(join(dir, 'file.yaml'), 'name: f\nschemas_dir: bad.json\nphases:\n  - id: A\n');
      expect(tryLoadWorkflowFile(join(dir, 'file.yaml')).problems[0]).toMatchObject({
        line: 2,
        message: "cannot read schemas_dir 'bad.json': ENOTDIR",
      });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('reports an unreadable file as a problem, not a crash', () => {
    const error = loadError(() => loadWorkflowFile('no/such/file.yaml'));
    expect(error.problems).toEqual([
      {
        file: 'no/such/file.yaml',
        line: 1,
        col: 1,
        message: 'cannot read workflow file: ENOENT',
        fix: 'check the path',
      },
    ]);
  });

  it('rejects a document that is not a workflow mapping', () => {
    expect(loadError(() => loadWorkflowText('- a\n- b\n', 'l.yaml')).problems[0].message).toMatch(
      /must be a mapping/,
    );
    expect(loadError(() => loadWorkflowText('name: x\n', 'l.yaml')).problems[0].message).toMatch(
      /non-empty phases list/,
    );
  });
});

describe('loadWorkflowPath', () => {
  it('loads a single file as the default', () => {
    const catalog = loadWorkflowPath('workflows/agent_workflow.yaml');
    expect(catalog.defaultWorkflow.name).toBe('agent_workflow');
    expect(catalog.list()).toHaveLength(1);
  });

  it('loads every *.yaml/*.yml of a directory, newest version first', () => {
    const catalog = loadWorkflowPath(join(FIXTURES, 'multi'), { defaultName: 'review_only' });
    expect(catalog.list().map((w) => `${w.name}@${w.version}`)).toEqual([
      'hotfix@0.3',
      'review_only@1.10',
      'review_only@1.0',
    ]);
    expect(catalog.defaultWorkflow.version).toBe('1.10');
    expect(catalog.get('review_only', '1.0').phases[0].allowed_tools).toEqual(['read_files']);
    expect(catalog.find('hotfix')?.version).toBe('0.3');
    expect(() => catalog.get('nope')).toThrow(expect.objectContaining({ code: 'workflow_not_found' }));
    expect(() => catalog.get('hotfix', '9')).toThrow("workflow 'hotfix' version 9 is not loaded");
  });

  it('needs a default when a directory holds several workflows, and suggests one for a typo', () => {
    expect(loadError(() => loadWorkflowPath(join(FIXTURES, 'multi'))).problems[0]).toMatchObject({
      message: 'several workflows (hotfix, review_only) and no default',
      fix: 'set workflow.default to one of them',
    });
    expect(
      loadError(() => loadWorkflowPath(join(FIXTURES, 'multi'), { defaultName: 'hotfx' })).problems[0].fix,
    ).toBe("did you mean 'hotfix'?");
  });

  it('reports problems of every file together, duplicates, and empty or missing paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-'));
    try {
      expect(loadError(() => loadWorkflowPath(dir)).problems[0].message).toMatch(/no \*\.yaml or \*\.yml/);
      writeFileSync(join(dir, 'a.yaml'), 'name: a\nphases:\n  - id: A\n    gates:\n      - id: g\n');
      writeFileSync(join(dir, 'b.yaml'), 'name: b\nphases: []\n');
      expect(
        loadError(() => loadWorkflowPath(dir)).problems.map((p) => [p.file.replace(dir, ''), p.line]),
      ).toEqual([
        ['/a.yaml', 5],
        ['/b.yaml', 2],
      ]);
      writeFileSync(join(dir, 'a.yaml'), 'name: a\nversion: "1"\nphases:\n  - id: A\n');
      writeFileSync(join(dir, 'b.yaml'), 'name: a\nversion: "1"\nphases:\n  - id: B\n');
      expect(loadError(() => loadWorkflowPath(dir, { defaultName: 'a' })).problems[0].message).toMatch(
        /workflow 'a' version 1 is also defined in/,
      );
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect(loadError(() => loadWorkflowPath('no/such/dir')).problems[0].message).toBe(
      'cannot read workflow path: ENOENT',
    );
  });

  it('orders versions numerically', () => {
    expect(['1.9', '1.10', '1.2.1', '2'].sort(compareVersions)).toEqual(['1.2.1', '1.9', '1.10', '2']);
  });
});
