import { type AuditEntry } from './domain/audit-entry.js';
import { type AuditPage } from './domain/audit-query.js';
import { type AuditCounts, type AuditStats } from './domain/audit-stats.js';
import { type AuditEntryDto, type AuditPageDto, type AuditStatsDto } from './dto/audit.dto.js';

/*
 * The audit API's answers: our fields plus the names the earlier Python orchestrator used, so
 * its readers work unchanged (docs/COMPATIBILITY.md). The added names are views only: the
 * stored entry, and so its `hash`, is the entry without them.
 */

export function auditEntryView(entry: AuditEntry): AuditEntryDto {
  return { ...entry, tool_name: entry.tool, timestamp: entry.ts } as AuditEntryDto;
}

export function auditPageView(page: AuditPage): AuditPageDto {
  const entries = page.entries.map(auditEntryView);
  return { entries, next_cursor: page.next_cursor, total: entries.length };
}

export function auditStatsView(stats: AuditStats): AuditStatsDto {
  return {
    ...stats,
    by_tool: { ...stats.by_tool },
    by_phase: { ...stats.by_phase },
    by_decision: { ...stats.by_decision },
    by_action: { ...stats.by_action },
    total_entries: stats.total,
    total_successes: stats.successes,
    total_failures: stats.failures,
    tools_used: totals(stats.by_tool),
    phases: totals(stats.by_phase),
  };
}

function totals(counts: Readonly<Record<string, AuditCounts>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).map(([name, c]) => [name, c.total]));
}
