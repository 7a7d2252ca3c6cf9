import { parseArgs } from 'node:util';
import { type HookProcessOptions } from './claude-code-hook.process.js';

/**
 * Parses the lean hook entry's command line: `--token-file`, `--url`, `--tool-map`, nothing else.
 * Throws on anything it does not know, so a mistyped option in settings.json fails closed
 * instead of being ignored.
 */
export function parseHookArgs(argv: string[]): HookProcessOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        'token-file': { type: 'string' },
        url: { type: 'string' },
        'tool-map': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    return { tokenFile: values['token-file'], url: values.url, toolMap: values['tool-map'] };
  } catch (error) {
    // Node's message is several sentences of advice; the first says what is wrong.
    const first = (error as Error).message.split('. ')[0];
    throw new Error(
      `${first.charAt(0).toLowerCase()}${first.slice(1)} (the hook takes --token-file, --url and --tool-map)`,
      { cause: error },
    );
  }
}
