/** Roles of access tokens (DESIGN.md §4). */
export const ROLES = ['agent', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const TOKEN_ISSUER = 'workflow-orchestrator';

/** What a subject (agent id or person) may look like, for the API and the CLI alike. */
export const SUBJECT_PATTERN = /^[A-Za-z0-9._@:-]{1,128}$/;

interface CommonClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
}

/** `Authorization: Bearer` token. `orig_iat` is when the chain of refreshes began. */
export interface AccessClaims extends CommonClaims {
  typ: 'access';
  role: Role;
  orig_iat: number;
}

/** Bound to one agent, task, phase and the task's token version. */
export interface PhaseClaims extends CommonClaims {
  typ: 'phase';
  task_id: string;
  phase: string;
  allowed_tools: string[];
  ver: number;
}

export type TokenType = 'access' | 'phase';

/**
 * Whether `role` may use a route that admits `allowed`. Admin includes operator; agent
 * routes are for agents only, because phase tokens bind an agent identity.
 */
export function roleSatisfies(role: Role, allowed: readonly Role[]): boolean {
  return allowed.includes(role) || (role === 'admin' && allowed.includes('operator'));
}
