/**
 * Enqueues three tasks, the second depending on the first and the third on the second.
 *
 *   ORCHESTRATOR_URL=http://127.0.0.1:3000 ORCHESTRATOR_OPERATOR_TOKEN=<operator token> npm run example:seed
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

async function createTask(baseUrl: string, token: string, body: Record<string, unknown>): Promise<Created> {
  const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v1/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Created & { code?: string; message?: string };
  if (response.status !== 201)
    throw new Error(`create task: ${response.status} ${answer.code}: ${answer.message}`);
  return answer;
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
