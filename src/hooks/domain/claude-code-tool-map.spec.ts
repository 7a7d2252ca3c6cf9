import { hookInputProblem, mapClaudeCodeTool, parseToolMap, workspacePath } from './claude-code-tool-map.js';

const cwd = '/home/dev/project';
const call = (tool_name: string, tool_input: Record<string, unknown>) => ({ tool_name, tool_input, cwd });

describe('mapClaudeCodeTool', () => {
  it.each([
    ['Read', { file_path: `${cwd}/src/a.ts`, offset: 1 }, 'read_files', { path: 'src/a.ts' }],
    [
      'Write',
      { file_path: `${cwd}/tests/a.test.ts`, content: 'x' },
      'write_files',
      { path: 'tests/a.test.ts', content: 'x' },
    ],
    [
      'Edit',
      { file_path: `${cwd}/a.ts`, old_string: 'a', new_string: 'b', replace_all: true },
      'edit_files',
      { path: 'a.ts', old_string: 'a', new_string: 'b', replace_all: true },
    ],
    [
      'MultiEdit',
      {
        file_path: `${cwd}/a.ts`,
        edits: [
          { old_string: 'a', new_string: 'b' },
          { old_string: 'c', new_string: 'd' },
        ],
      },
      'edit_files',
      { path: 'a.ts', old_string: 'a', new_string: 'b' },
    ],
    ['Bash', { command: 'npm test', description: 'run tests' }, 'bash', { command: 'npm test' }],
    [
      'Grep',
      { pattern: 'TODO', path: `${cwd}/src`, glob: '*.ts', output_mode: 'content' },
      'search_files',
      { pattern: 'TODO', path: 'src', glob: '*.ts' },
    ],
    ['Grep', { pattern: 'TODO' }, 'search_files', { pattern: 'TODO' }],
    ['Glob', { pattern: '**/*.ts', path: cwd }, 'list_files', { pattern: '**/*.ts', cwd: '.' }],
  ])('maps %s to its workflow tool and arguments', (name, input, tool, args) => {
    expect(mapClaudeCodeTool(call(name, input))).toEqual({ tool, args });
  });

  it('denies tools it does not know by default', () => {
    expect(mapClaudeCodeTool(call('WebFetch', { url: 'https://x' }))).toEqual({
      denied: expect.stringContaining("'WebFetch'") as unknown,
    });
    expect(mapClaudeCodeTool(call('toString', {}))).toHaveProperty('denied');
  });

  it('maps extra tools by the configured map and passes their input unchanged', () => {
    expect(mapClaudeCodeTool(call('WebFetch', { url: 'u' }), { WebFetch: 'web_fetch' })).toEqual({
      tool: 'web_fetch',
      args: { url: 'u' },
    });
  });
});

describe('workspacePath', () => {
  it('keeps paths outside the project and relative paths unchanged', () => {
    expect(workspacePath('/etc/passwd', cwd)).toBe('/etc/passwd');
    expect(workspacePath('/home/dev/project-other/a', cwd)).toBe('/home/dev/project-other/a');
    expect(workspacePath('src/a.ts', cwd)).toBe('src/a.ts');
    expect(workspacePath(`${cwd}/a`, undefined)).toBe(`${cwd}/a`);
  });
});

describe('hookInputProblem and parseToolMap', () => {
  it('names what is wrong with hook input', () => {
    expect(hookInputProblem('x')).toMatch(/not a JSON object/);
    expect(hookInputProblem({ tool_input: {} })).toMatch(/tool_name/);
    expect(hookInputProblem({ tool_name: 'Read' })).toMatch(/tool_input/);
    expect(hookInputProblem({ tool_name: 'Read', tool_input: {} })).toBeUndefined();
  });

  it('parses a tool map and refuses malformed ones', () => {
    expect(parseToolMap(undefined)).toEqual({});
    expect(parseToolMap('{"A":"b"}')).toEqual({ A: 'b' });
    expect(() => parseToolMap('[1]')).toThrow(/JSON object/);
    expect(() => parseToolMap('{"A":1}')).toThrow(/'A'/);
    expect(() => parseToolMap('{')).toThrow();
  });
});
