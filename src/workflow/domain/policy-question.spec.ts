import { InvalidInputError } from '../../common/domain/domain-error.js';
import { askPolicy } from './policy-question.js';
import { loadWorkflowText } from './workflow.loader.js';

const wf = loadWorkflowText(
  `name: questions
enforcement: { mode: strict }
phases:
  - id: TDD
    allowed_tools: [read_files, write_files, bash, grep]
    tool_constraints:
      write_files:
        allowed_patterns: ["tests/**"]
      grep:
        path_args: [pattern, path]
        forbidden_patterns: ["secrets/**"]
transitions: []
`,
  'questions.yaml',
);
const ask = (q: Partial<Parameters<typeof askPolicy>[1]>) =>
  askPolicy(wf, { phase: 'TDD', tool: 'write_files', workspaceRoot: '/ws', ...q });

describe('askPolicy', () => {
  it('sends paths under `paths` and names the denying rule', () => {
    const a = ask({ paths: ['src/a.ts'] });
    expect(a.args).toEqual({ paths: ['src/a.ts'] });
    expect(a.decision.allowed).toBe(false);
    expect(a.decided_by).toBe('phases.TDD.tool_constraints.write_files.allowed_patterns');
  });

  it("names the phase's allowed_tools for an allow", () => {
    const a = ask({ paths: ['tests/a.ts'] });
    expect(a.decision.allowed).toBe(true);
    expect(a.decided_by).toBe('phases.TDD.allowed_tools');
  });

  it('sends paths under the first path_args a constraint names (search_files is grep)', () => {
    const a = ask({ tool: 'search_files', paths: ['secrets/key'] });
    expect(a.args).toEqual({ pattern: ['secrets/key'] });
    expect(a.decision).toMatchObject({ allowed: false, tool: 'grep' });
  });

  it('adds a command and keeps further args', () => {
    const a = ask({ tool: 'bash', command: 'npm test', args: { timeout: 5 } });
    expect(a.args).toEqual({ timeout: 5, command: 'npm test' });
  });

  it('judges absolute paths against the workspace root given', () => {
    expect(ask({ paths: ['/ws/tests/a.ts'] }).decision.allowed).toBe(true);
    expect(ask({ paths: ['/elsewhere/tests/a.ts'] }).decision).toMatchObject({
      allowed: false,
      code: 'path_outside_workspace',
    });
  });

  it('applies a mode override: audit allows what strict denies, and says so', () => {
    const a = ask({ paths: ['src/a.ts'], mode: 'advisory' });
    expect(a.decision).toMatchObject({ allowed: true, would_deny: true, mode: 'audit' });
  });

  it.each([
    [{ phase: 'NOPE' }, 'unknown_phase'],
    [{ tool: 'rm -rf' }, 'invalid_tool_name'],
    [{ tool: 'x'.repeat(101) }, 'invalid_tool_name'],
    [{ mode: 'lax' }, 'invalid_mode'],
  ])('refuses %j as bad input, not as a denial', (q, code) => {
    expect(() => ask(q)).toThrow(InvalidInputError);
    expect(() => ask(q)).toThrow(expect.objectContaining({ code }));
  });
});
