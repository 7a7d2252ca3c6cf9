import { type Instance } from './cluster.js';

export const CAPABILITIES = ['go', 'python', 'typescript'] as const;

export interface SeededTask {
  readonly id: string;
  readonly dependencies: readonly string[];
  readonly capabilities: readonly string[];
}

/**
 * Creates `count` tasks spread over the instances: a third with no dependency, the rest each
 * depending on one or two earlier tasks; each requires a random subset (possibly empty) of
 * CAPABILITIES of at most two. Created in waves so a dependency exists before its dependants.
 */
export async function seedTasks(
  instances: readonly Instance[],
  operator: string,
  count: number,
  random: () => number,
  maxAttempts: number,
): Promise<SeededTask[]> {
  const tasks: SeededTask[] = [];
  const waveSize = Math.ceil(count / 3);
  for (let wave = 0; tasks.length < count; wave++) {
    const earlier = [...tasks];
    const specs = Array.from({ length: Math.min(waveSize, count - tasks.length) }, (_, i) => {
      const dependencies =
        wave === 0
          ? []
          : [
              ...new Set(
                Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(earlier, random).id),
              ),
            ];
      const capabilities = CAPABILITIES.filter(() => random() < 0.35).slice(0, 2);
      return { title: `multi ${wave}.${i}`, dependencies, capabilities, max_attempts: maxAttempts };
    });
    const created = await Promise.all(
      specs.map((spec, i) =>
        instances[i % instances.length]!.http.post<{ id: string }>('/api/v1/tasks', operator, spec),
      ),
    );
    created.forEach((res, i) => {
      if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      tasks.push({
        id: res.body.id,
        dependencies: specs[i]!.dependencies,
        capabilities: specs[i]!.capabilities,
      });
    });
  }
  return tasks;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A random subset of CAPABILITIES; every third agent has them all, so every task can be claimed. */
export function agentCapabilities(index: number, random: () => number): string[] {
  if (index % 3 === 0) return [...CAPABILITIES];
  return CAPABILITIES.filter(() => random() < 0.5);
}
