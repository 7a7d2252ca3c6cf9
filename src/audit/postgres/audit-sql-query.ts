import { type NormalizedAuditQuery } from '../domain/audit-query.js';

/**
 * The WHERE clause of a query: the same conditions as `matchesAuditQuery`, on the columns
 * copied from each entry (so the task/action/tool indexes apply), newest first by seq.
 */
export function auditQuerySql(q: NormalizedAuditQuery): { where: string; values: unknown[] } {
  const values: unknown[] = [];
  const terms: string[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    terms.push(sql.replace('?', `$${values.length}`));
  };
  if (q.beforeSeq !== null) add('seq < ?', q.beforeSeq);
  if (q.task_id !== null) add('task_id = ?', q.task_id);
  if (q.phase !== null) add('phase = ?', q.phase);
  if (q.tool !== null) add('tool = ?', q.tool);
  if (q.action !== null) add('action = ?', q.action);
  if (q.actionPrefix !== null) add(`action LIKE ? ESCAPE '\\'`, `${escapeLike(q.actionPrefix)}%`);
  if (q.decision !== null) add('decision = ?', q.decision);
  if (q.actor !== null) add('actor = ?', q.actor);
  if (q.role !== null) add('role = ?', q.role);
  if (q.success !== null) add('success = ?', q.success);
  if (q.since !== null) add('ts >= ?', q.since);
  if (q.until !== null) add('ts < ?', q.until);
  return { where: terms.length === 0 ? '' : `WHERE ${terms.join(' AND ')}`, values };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
