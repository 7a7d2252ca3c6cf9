import { ManualClock } from '../../common/domain/clock.js';
import { failure, tempWorkspace, type TempWorkspace } from './testing/temp-workspace.js';
import { type ToolExecutor } from './tool-executor.js';
import { ToolRegistry } from './tool.registry.js';

describe('ToolRegistry', () => {
  let ws: TempWorkspace;
  afterEach(() => ws.remove());

  /** An executor that records its calls and lets the test move the clock while it "runs". */
  function probe(clock: ManualClock, calls: unknown[]): ToolExecutor<{ n: number }> {
    return {
      name: 'probe',
      description: 'test probe',
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['n'],
        properties: { n: { type: 'integer', minimum: 1 } },
      },
      async run(args, context) {
        calls.push(args);
        clock.advance(250);
        return { doubled: args.n * 2, shell: context.allowShellOperators };
      },
    };
  }

  it('registers the built-in tools, with the default workflow names for grep and glob', async () => {
    ws = await tempWorkspace();
    expect(ws.registry.names()).toEqual([
      'bash',
      'edit_files',
      'glob',
      'grep',
      'list_files',
      'read_files',
      'search_files',
      'write_files',
    ]);
    expect(ws.registry.has('web_fetch')).toBe(false);
    expect(ws.registry.schemaOf('grep')).toBe(ws.registry.schemaOf('search_files'));
    ws.file('a.txt', 'needle\n');
    const { result } = await ws.registry.execute('search_files', { pattern: 'needle' });
    expect(result).toMatchObject({ matches: [{ path: 'a.txt', line: 1 }] });
    expect((await ws.registry.execute('list_files', { pattern: '*.txt' })).result).toMatchObject({
      files: ['a.txt'],
    });
  });

  it('answers 501 no_executor for a tool it cannot run', async () => {
    ws = await tempWorkspace();
    const error = await failure(ws.registry.execute('web_fetch', { url: 'https://example.com' }));
    expect(error).toMatchObject({ kind: 'not_implemented', code: 'no_executor' });
    expect(error.message).toBe("tool 'web_fetch' has no executor on this server");
  });

  it('validates arguments before the executor runs, and times the run with the injected clock', async () => {
    const clock = new ManualClock();
    const calls: unknown[] = [];
    ws = await tempWorkspace({ clock, executors: [probe(clock, calls)] });
    for (const bad of [{ n: 0 }, { n: 'two' }, { n: 1, extra: true }, [1], 'n=1', 7]) {
      expect(await failure(ws.registry.execute('probe', bad))).toMatchObject({ code: 'invalid_tool_args' });
    }
    expect(calls).toEqual([]);
    expect(await ws.registry.execute('probe', { n: 21 }, { allowShellOperators: true })).toEqual({
      result: { doubled: 42, shell: true },
      duration_ms: 250,
      paths: [],
    });
    expect((await ws.registry.execute('probe', { n: 1 })).result).toEqual({ doubled: 2, shell: false });
  });

  it('treats missing arguments as an empty object', async () => {
    ws = await tempWorkspace();
    const error = await failure(ws.registry.execute('grep', undefined));
    expect(error).toMatchObject({ code: 'invalid_tool_args', message: /missing argument 'pattern'/ });
  });

  it('refuses a duplicate tool name and nonsensical limits', async () => {
    ws = await tempWorkspace();
    const clock = new ManualClock();
    expect(() => ws.registry.register(probe(clock, []))).not.toThrow();
    expect(() => ws.registry.register(probe(clock, []))).toThrow(/registered twice/);
    await expect(
      ToolRegistry.create({
        workspaceRoot: ws.path('x'),
        commandTimeoutSeconds: 0,
        maxOutputKb: 1,
        sandbox: ws.sandbox,
      }),
    ).rejects.toThrow(/commandTimeoutSeconds must be > 0/);
  });

  it('refuses a schema with a typo when the tool is registered, not when it is called', async () => {
    ws = await tempWorkspace();
    const broken = {
      name: 'broken',
      description: '',
      schema: { type: 'object', properties: { a: { type: 'strng' } } },
      run: async () => ({}),
    };
    expect(() => ws.registry.register(broken)).toThrow();
  });
});
