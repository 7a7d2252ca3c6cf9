import { type Finding } from '../workflow/domain/finding.model.js';

/**
 * How an answer carries what blocks it: `blockers` as the messages the earlier Python
 * orchestrator answered with (its SDK joins them into one line), `blocker_details` as our
 * structured findings (check, severity, pointer, digest…). See docs/COMPATIBILITY.md.
 */
export interface BlockerView {
  blockers: string[];
  blocker_details: Finding[];
}

export function blockerView(findings: readonly Finding[]): BlockerView {
  return { blockers: findings.map(blockerLine), blocker_details: [...findings] };
}

function blockerLine(finding: Finding): string {
  const text = finding.message || finding.check;
  return finding.detail ? `${text} (${finding.detail})` : text;
}
