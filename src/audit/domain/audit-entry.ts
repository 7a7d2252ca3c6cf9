/**
 * One audit entry, as written (one JSON line each) and as returned by queries.
 *
 * Every field is always present (null when it does not apply), so readers in any language see
 * one shape. `hash` is the SHA-256 of the canonical JSON of all the other fields (see
 * `hash-chain.ts`); `prev_hash` is the previous entry's `hash`, or `GENESIS_HASH` for seq 1.
 */
export interface AuditEntry {
  /** 1, 2, 3, … without gaps, across rotated files. */
  readonly seq: number;
  /** ISO 8601 UTC with milliseconds, when `append` was called. */
  readonly ts: string;
  /** Who acted: the token subject, `anonymous` for a failed authentication, `system`. */
  readonly actor: string;
  /** `agent` | `operator` | `admin` | `system`, or null when unknown. */
  readonly role: string | null;
  readonly action: AuditAction;
  readonly decision: AuditDecision;
  readonly success: boolean;
  readonly task_id: string | null;
  readonly phase: string | null;
  readonly tool: string | null;
  /** The request's arguments, redacted and size-capped (`audit-redaction.ts`). */
  readonly args: AuditJson;
  /** Why: the denial or failure reason, redacted and capped. */
  readonly reason: string | null;
  /** The gate blockers of a refused transition, redacted and capped. */
  readonly blockers: AuditJson;
  /** Anything else worth keeping (target phase, error code, token jti…), redacted and capped. */
  readonly details: AuditJson;
  readonly duration_ms: number | null;
  readonly request_id: string | null;
  readonly prev_hash: string;
  readonly hash: string;
}

/** What a caller supplies; the store adds `seq`, `ts`, `prev_hash` and `hash`. */
export interface AuditEntryInput {
  readonly actor: string;
  readonly role?: string | null;
  readonly action: AuditAction;
  readonly decision: AuditDecision;
  readonly success: boolean;
  readonly task_id?: string | null;
  readonly phase?: string | null;
  readonly tool?: string | null;
  /** Anything JSON-like; secrets are redacted and large values replaced by length + SHA-256. */
  readonly args?: unknown;
  readonly reason?: string | null;
  readonly blockers?: readonly unknown[] | null;
  readonly details?: unknown;
  readonly duration_ms?: number | null;
  readonly request_id?: string | null;
}

/** An entry before it joins the chain: redacted, capped and validated. */
export type UnsealedEntry = Omit<AuditEntry, 'seq' | 'ts' | 'prev_hash' | 'hash'>;

export type AuditJson = null | boolean | number | string | AuditJson[] | { [key: string]: AuditJson };

/** The actions the orchestrator records; other lower-case dotted names are accepted too. */
export const KNOWN_AUDIT_ACTIONS = [
  'task.create',
  'task.claim',
  'task.transition',
  'task.complete',
  'task.heartbeat',
  'task.release',
  'task.fail',
  'task.cancel',
  'task.requeue',
  'task.approve',
  'task.reject',
  'tool.authorize',
  'tool.execute',
  'token.mint',
  'token.refresh',
  'token.revoke',
  'auth.failure',
  'audit.recover',
] as const;
export type KnownAuditAction = (typeof KNOWN_AUDIT_ACTIONS)[number];
// `string & {}` keeps editor completion for the known names while accepting others.
export type AuditAction = KnownAuditAction | (string & {});

export const KNOWN_AUDIT_DECISIONS = ['allowed', 'denied', 'blocked', 'error', 'n/a'] as const;
export type KnownAuditDecision = (typeof KNOWN_AUDIT_DECISIONS)[number];
export type AuditDecision = KnownAuditDecision | (string & {});

/** `prev_hash` of seq 1. */
export const GENESIS_HASH = '0'.repeat(64);

/** The order fields are written in (`hash` last); unknown fields go, sorted, before `hash`. */
export const AUDIT_FIELDS = [
  'seq',
  'ts',
  'actor',
  'role',
  'action',
  'decision',
  'success',
  'task_id',
  'phase',
  'tool',
  'args',
  'reason',
  'blockers',
  'details',
  'duration_ms',
  'request_id',
  'prev_hash',
  'hash',
] as const satisfies readonly (keyof AuditEntry)[];

/** The action the store itself writes after resuming from a torn or damaged tail. */
export const RECOVER_ACTION = 'audit.recover';
