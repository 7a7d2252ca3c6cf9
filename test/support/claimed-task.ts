import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AgentClient } from '../../src/sdk/index.js';
import { api } from './api.js';
import { disposeServer, startServer, type ServerProcess } from './server-process.js';
import { accessToken } from './tokens.js';

/** The Claude Code PreToolUse inputs the hook tests replay (test/fixtures/claude-code). */
export const CLAUDE_CODE_FIXTURES = resolve(
  import.meta.dirname ?? new URL('.', import.meta.url).pathname,
  '../fixtures/claude-code',
);

/** A fixture's text, as Claude Code writes it to a hook's stdin. */
export function claudeCodeSample(name: string): string {
  return readFileSync(join(CLAUDE_CODE_FIXTURES, `${name}.json`), 'utf8');
}

/** An operator and an agent named after the test file: `<prefix>-op`, `<prefix>-agent`. */
export function hookActors(prefix: string) {
  const agentId = `${prefix}-agent`;
  return {
    operator: accessToken('operator', `${prefix}-op`),
    agentId,
    agentToken: accessToken('agent', agentId),
  };
}

export interface ClaimedTask {
  readonly server: ServerProcess;
  /** The agent's SDK client, holding the one task (in PLAN). */
  readonly client: AgentClient;
  /** Closes the client, stops the server and removes its directory. */
  dispose(): Promise<void>;
}

/** A server with one task, claimed through the SDK by `actors`' agent: what the hook tests decide on. */
export async function startClaimedTask(
  actors: ReturnType<typeof hookActors>,
  options: { title: string; tokenFile?: string; heartbeat?: boolean },
): Promise<ClaimedTask> {
  const server = await startServer();
  await api(server.url).post('/api/v1/tasks', actors.operator, { title: options.title });
  const client = new AgentClient({
    baseUrl: server.url,
    agentId: actors.agentId,
    accessToken: actors.agentToken,
    heartbeat: options.heartbeat,
    tokenFile: options.tokenFile,
  });
  if ((await client.claimTask()) === null) throw new Error(`no task to claim for ${actors.agentId}`);
  const dispose = async () => {
    await client.close();
    await disposeServer(server);
  };
  return { server, client, dispose };
}
