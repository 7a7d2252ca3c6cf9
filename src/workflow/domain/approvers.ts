import { closest } from '../../common/domain/closest.js';

/**
 * Who may decide an approval gate (WORKFLOW_SPEC.md, "Approvals"). A gate's `approvers` entry
 * that is a role name (`operator`, `admin`) admits every caller holding exactly that role;
 * `human` (the earlier orchestrator's word for a person) admits every operator and admin;
 * `orchestrator` admits no one (this server never approves on its own); any other entry admits
 * the caller whose token subject is exactly that string. No list: every operator and admin.
 * Agents are never approvers, whatever the list says.
 */
export const APPROVER_ROLES = ['operator', 'admin'] as const;

/** Admits every operator and admin. */
export const HUMAN_APPROVER = 'human';

/**
 * Admits no one: the earlier orchestrator listed itself beside `human`, but an approval the
 * server gave itself would let a gate pass with no person looking. Flagged at load.
 */
export const NO_ONE_APPROVERS = ['orchestrator'] as const;

/** Role names an `approvers` entry may not be (refused when the workflow loads). */
export const NON_APPROVER_ROLES = ['agent'] as const;

export interface ApproverCandidate {
  readonly sub: string;
  readonly role: string;
}

const isRoleEntry = (entry: string): boolean => (APPROVER_ROLES as readonly string[]).includes(entry);
const namesNoOne = (entry: string): boolean => (NO_ONE_APPROVERS as readonly string[]).includes(entry);
/** `review_agent`, `agent-7`: written for an agent, which can never approve. */
const looksLikeAgent = (entry: string): boolean => /(^|[_-])agents?($|[_-])/i.test(entry);

export function mayApprove(approvers: readonly string[], caller: ApproverCandidate): boolean {
  if (!(APPROVER_ROLES as readonly string[]).includes(caller.role)) return false;
  if (approvers.length === 0) return true;
  return approvers.some((entry) =>
    entry === HUMAN_APPROVER
      ? true
      : namesNoOne(entry)
        ? false
        : isRoleEntry(entry)
          ? entry === caller.role
          : entry === caller.sub,
  );
}

/** The list in words, for refusals and blockers: `role operator or subject lead-reviewer`. */
export function describeApprovers(approvers: readonly string[]): string {
  const named = approvers.filter((e) => !namesNoOne(e));
  if (approvers.length === 0 || named.includes(HUMAN_APPROVER)) return 'any operator or admin';
  if (named.length === 0) return 'no one';
  return named.map((e) => (isRoleEntry(e) ? `role ${e}` : `subject ${e}`)).join(' or ');
}

export interface ApproverProblem {
  /** The entry's position in the list; absent for the list as a whole. */
  readonly index?: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly fix: string;
}

const LIST_FIX =
  "list roles (operator, admin), 'human' (any operator or admin), or the subjects of the people who approve";

/**
 * What is wrong with an `approvers` list, for the loader: an agent is an error, and so is a
 * list that admits no one (the gate could never pass); an entry naming no one, or taken as a
 * subject though it reads like a role or an agent, is a warning.
 */
export function approverProblems(approvers: readonly string[]): ApproverProblem[] {
  const problems: ApproverProblem[] = [];
  const words = [...APPROVER_ROLES, HUMAN_APPROVER];
  approvers.forEach((entry, index) => {
    if ((NON_APPROVER_ROLES as readonly string[]).includes(entry)) {
      problems.push({
        index,
        severity: 'error',
        message: `'${entry}' cannot approve a gate: agents are never approvers`,
        fix: LIST_FIX,
      });
    } else if (namesNoOne(entry)) {
      problems.push({
        index,
        severity: 'warning',
        message: `approver '${entry}' names no one: this server never approves a gate on its own`,
        fix: `remove it; ${LIST_FIX}`,
      });
    } else if (!words.includes(entry)) {
      const near = closest(entry, words);
      if (near || looksLikeAgent(entry)) {
        problems.push({
          index,
          severity: 'warning',
          message: near
            ? `approver '${entry}' is no role: it admits only an operator or admin whose token subject is '${entry}'`
            : `approver '${entry}' reads like an agent, which never approves: it admits only an operator or admin whose token subject is '${entry}'`,
          fix: near ? `did you mean '${near}'?` : LIST_FIX,
        });
      }
    }
  });
  if (
    approvers.length > 0 &&
    approvers.every((e) => namesNoOne(e) || (NON_APPROVER_ROLES as readonly string[]).includes(e))
  ) {
    problems.push({
      severity: 'error',
      message: `approvers [${approvers.join(', ')}] admit no one: the gate could never be approved`,
      fix: LIST_FIX,
    });
  }
  return problems;
}
