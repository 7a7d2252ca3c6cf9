/**
 * Enqueues three tasks, the second depending on the first and the third on the second.
 *
 *   ORCHESTRATOR_URL=http://127.0.0.1:8000 ORCHESTRATOR_OPERATOR_TOKEN=<operator token> npm run example:seed
 *
 * Prints one JSON line per task: {id, title, dependencies}.
 */
interface Created {
  id: string;
  title: string;
  dependencies?: string[];
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Every failure names the method and URL it tried (never the token). */
async function createTask(baseUrl: string, token: string, body: Record<string, unknown>): Promise<Created> {
  const url = `${baseUrl.replace(/\/+$/, '')}/api/v1/tasks`;
  const tried = `POST ${url}`;
  let response: Response;
  let answer: Created & { code?: string; message?: string };
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`${tried}: cannot reach the orchestrator: ${reasonOf(error)}`, { cause: error });
  }
  try {
    answer = (await response.json()) as typeof answer;
  } catch {
    throw new Error(
      `${tried}: ${response.status}, not a JSON answer (is ORCHESTRATOR_URL the orchestrator?)`,
    );
  }
  if (response.status !== 201)
    throw new Error(`${tried}: ${response.status} ${answer.code}: ${answer.message}`);
  return answer;
}

/** fetch says only "fetch failed"; its cause says why (ECONNREFUSED, ENOTFOUND…). */
function reasonOf(error: unknown): string {
  const { message, cause } = (error ?? {}) as { message?: unknown; cause?: { code?: unknown } };
  const said = typeof message === 'string' ? message : String(error);
  return typeof cause?.code === 'string' ? `${said} (${cause.code})` : said;
}

async function main(): Promise<void> {
  const baseUrl = required('ORCHESTRATOR_URL');
  const token = required('ORCHESTRATOR_OPERATOR_TOKEN');
  const limiter = await createTask(baseUrl, token, {
    title: 'Rate-limit the public API',
    description: 'Per-subject token bucket in front of the agent API',
    priority: 10,
  });
  const metrics = await createTask(baseUrl, token, {
    title: 'Export rate-limit metrics',
    description: 'Count refused requests per subject',
    dependencies: [limiter.id],
  });
  const docs = await createTask(baseUrl, token, {
    title: 'Document the rate limit',
    dependencies: [metrics.id],
  });
  for (const task of [limiter, metrics, docs]) {
    console.log(JSON.stringify({ id: task.id, title: task.title, dependencies: task.dependencies ?? [] }));
  }
}

main().catch((error: unknown) => {
  console.error(`[seed] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
