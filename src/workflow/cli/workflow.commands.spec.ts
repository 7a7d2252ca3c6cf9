import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerWorkflowCommands, runShow, runValidate } from './workflow.commands.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('workflow validate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wf-cli-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      'name: bad\nphases:\n  - id: A\n  - id: A\ntransitions:\n  - { from: A, to: B }\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true }));

  it('exits 0 for valid files and lists keys that are not enforced', () => {
    const { io, out, err } = capture();
    expect(
      runValidate(['workflows/agent_workflow.yaml', 'test/fixtures/workflows/legacy_workflow.yaml'], io),
    ).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toBe(
      '✓ workflows/agent_workflow.yaml: agent_workflow 1.0, 5 phases, 6 transitions, mode strict',
    );
    expect(out[1]).toBe(
      '✓ test/fixtures/workflows/legacy_workflow.yaml: legacy_agent_workflow 1.0, 4 phases, 4 transitions, mode advisory',
    );
    expect(out[2]).toMatch(/not enforced/);
    expect(out).toContain('    test/fixtures/workflows/legacy_workflow.yaml:29:5  phases[0].auto_advance');
    expect(out).toContain('    test/fixtures/workflows/legacy_workflow.yaml:121:1  recovery');
  });

  it("loads a file in the earlier orchestrator's format, printing its warnings with their lines (exit 0)", () => {
    const { io, out, err } = capture();
    const file = 'test/fixtures/workflows/earlier_format_workflow.yaml';
    expect(runValidate([file], io)).toBe(0);
    expect(err).toEqual([]);
    expect(out[0]).toBe(`✓ ${file}: Earlier Format Workflow 1.0, 5 phases, 4 transitions, mode strict`);
    expect(out[1]).toBe('  7 warnings:');
    expect(out).toContainEqual(
      expect.stringMatching(
        /^ {2}warning: .*:49:22: unknown check 'tests_are_meaningful' \(severity warning\) is not enforced\n {6}fix: known checks: /,
      ),
    );
    expect(out.join('\n')).toMatch(
      /warning: .*:146:14: schemas_dir '\.orchestrator\/schemas' does not exist/,
    );
    expect(out).toContain(`    ${file}:49:13  phases[1].gates[0].blockers[2]`);
  });

  it('exits 1 and prints every problem with file:line:col and the fix', () => {
    const { io, out, err } = capture();
    expect(runValidate([join(dir, 'bad.yaml'), 'workflows/agent_workflow.yaml'], io)).toBe(1);
    expect(err[0]).toBe(`✗ ${join(dir, 'bad.yaml')}: 2 problems`);
    expect(err[1]).toBe(
      `  ${join(dir, 'bad.yaml')}:4:9: duplicate phase id 'A' (first defined at line 3)\n      fix: give each phase a unique id`,
    );
    expect(err[2]).toMatch(/:6:20: transition to undefined phase 'B'/);
    expect(out).toHaveLength(1);
  });

  it('validates a directory, and reports a missing path', () => {
    const { io, out, err } = capture();
    expect(runValidate(['test/fixtures/workflows/multi'], io)).toBe(0);
    expect(out.filter((l) => l.startsWith('✓'))).toHaveLength(3);
    expect(runValidate(['nope.yaml'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/nope\.yaml:1:1: cannot read workflow path: ENOENT/);
  });
});

describe('workflow show', () => {
  it('prints phases, tools, gates and transitions as tables', () => {
    const { io, out } = capture();
    expect(runShow('workflows/agent_workflow.yaml', {}, io)).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^agent_workflow 1\.0 \(mode strict\)/);
    expect(text).toMatch(/\nPHASE +NAME +ALLOWED TOOLS +FORBIDDEN TOOLS +REQUIRED ARTIFACTS\n/);
    expect(text).toMatch(/\nPLAN +Plan +read_files, list_files, search_files,/);
    expect(text).toMatch(/\nTDD +write_files +paths: tests\/\*\*/);
    expect(text).toMatch(/\nPLAN +plan_approved +approval +blocking plan_has_acceptance_criteria\n/);
    expect(text).toMatch(/blocking test_files\/files min_items 1/);
    expect(text).toMatch(/warning {2}coverage_threshold_met \(threshold=80\)/);
    expect(text).toMatch(/\nPLAN → TDD +plan_approved +required\n/);
  });

  it('prints JSON with --json and fails on an invalid file', () => {
    const { io, out, err } = capture();
    expect(runShow('test/fixtures/workflows/legacy_workflow.yaml', { json: true }, io)).toBe(0);
    const view = JSON.parse(out[0]) as {
      name: string;
      unenforced: unknown[];
      phases: { tool_constraints: object }[];
    };
    expect(view.name).toBe('legacy_agent_workflow');
    expect(view.unenforced).toContainEqual({ path: 'recovery', line: 121 });
    expect(JSON.stringify(view)).not.toMatch(/"location"/);
    expect(runShow('nope.yaml', {}, io)).toBe(1);
    expect(err[0]).toBe('✗ nope.yaml: 1 problem');
  });
});

describe('registerWorkflowCommands', () => {
  it('adds validate and show, reporting exit codes without exiting', async () => {
    const { io, out } = capture();
    const codes: number[] = [];
    const program = new Command('orchestrator').exitOverride();
    registerWorkflowCommands(program, io, (c) => codes.push(c));
    await program.parseAsync(['workflow', 'validate', 'workflows/agent_workflow.yaml'], { from: 'user' });
    await program.parseAsync(['workflow', 'validate', 'nope.yaml'], { from: 'user' });
    await program.parseAsync(['workflow', 'show', '--json', 'workflows/agent_workflow.yaml'], {
      from: 'user',
    });
    expect(codes).toEqual([0, 1, 0]);
    expect(out[0]).toMatch(/^✓ workflows\/agent_workflow\.yaml/);
    expect(JSON.parse(out[1])).toMatchObject({ name: 'agent_workflow' });
  });
});
