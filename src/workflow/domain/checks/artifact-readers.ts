/**
 * Tolerant readers over artifact shapes (documented in workflows/agent_workflow.yaml).
 * Checks accept the documented object forms and the plain-string shorthand the earlier
 * orchestrator's agents sent, so a check never throws on unexpected input: it fails.
 */

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function asList(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** The words of a list entry: a string, or an object's description/text/title. */
export function entryText(entry: unknown): string {
  if (typeof entry === 'string') return entry.trim();
  const obj = asObject(entry);
  if (!obj) return '';
  for (const key of ['description', 'text', 'title', 'question', 'body', 'name']) {
    const v = obj[key];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return '';
}

export function stringParam(
  params: Readonly<Record<string, unknown>>,
  key: string,
  fallback: string,
): string {
  const v = params[key];
  return typeof v === 'string' ? v : fallback;
}

export function numberParam(
  params: Readonly<Record<string, unknown>>,
  key: string,
  fallback: number,
): number {
  const v = params[key];
  return typeof v === 'number' ? v : fallback;
}

/** A non-negative integer count field, or undefined when absent or malformed. */
export function countField(obj: Json, key: string): number | undefined {
  const v = obj[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** Acceptance criterion ids: an entry's `id`, else `AC<n>` by 1-based position. */
export function criterionIds(plan: Json): string[] {
  return (asList(plan['acceptance_criteria']) ?? []).map((entry, i) => {
    const id = asObject(entry)?.['id'];
    return typeof id === 'string' && id !== '' ? id : `AC${i + 1}`;
  });
}

const CLOSED_STATUSES = new Set(['addressed', 'resolved', 'fixed', 'wont_fix', 'closed', 'answered', 'done']);

/** Is a question, issue or comment still open? Strings are open; objects say otherwise. */
export function isOpen(entry: unknown): boolean {
  const obj = asObject(entry);
  if (!obj) return true;
  if (obj['resolved'] === true || obj['addressed'] === true) return false;
  const status = obj['status'];
  if (typeof status === 'string' && CLOSED_STATUSES.has(status.toLowerCase())) return false;
  const answer = obj['answer'];
  return !(typeof answer === 'string' && answer.trim() !== '');
}
