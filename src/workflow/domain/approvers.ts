/**
 * Who may decide an approval gate (WORKFLOW_SPEC.md, "Approvals"). A gate's `approvers` entry
 * that is a role name (`operator`, `admin`) admits every caller holding exactly that role; any
 * other entry admits the caller whose token subject is exactly that string. No list: every
 * operator and admin. Agents are never approvers, whatever the list says.
 */
export const APPROVER_ROLES = ['operator', 'admin'] as const;

/** Role names an `approvers` entry may not be (refused when the workflow loads). */
export const NON_APPROVER_ROLES = ['agent'] as const;

export interface ApproverCandidate {
  readonly sub: string;
  readonly role: string;
}

const isRoleEntry = (entry: string): boolean => (APPROVER_ROLES as readonly string[]).includes(entry);

export function mayApprove(approvers: readonly string[], caller: ApproverCandidate): boolean {
  if (!(APPROVER_ROLES as readonly string[]).includes(caller.role)) return false;
  if (approvers.length === 0) return true;
  return approvers.some((entry) => (isRoleEntry(entry) ? entry === caller.role : entry === caller.sub));
}

/** The list in words, for refusals and blockers: `role operator or subject lead-reviewer`. */
export function describeApprovers(approvers: readonly string[]): string {
  if (approvers.length === 0) return 'any operator or admin';
  return approvers.map((e) => (isRoleEntry(e) ? `role ${e}` : `subject ${e}`)).join(' or ');
}
