/** Fields of the server's error body (see docs/API.md "Errors"). */
export interface ErrorBody {
  statusCode?: number;
  code?: string;
  message?: string;
  [field: string]: unknown;
}

/** Base of every SDK error: the server's stable `code`, the HTTP status (0 when none) and the body. */
export class OrchestratorError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly body: ErrorBody = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A transition or completion the workflow's gates refused (`allowed: false`); fix the blockers and retry. */
export class TransitionBlockedError extends OrchestratorError {
  constructor(
    message: string,
    readonly blockers: unknown[],
    readonly warnings: unknown[],
    body: ErrorBody = {},
  ) {
    super(message, 'transition_blocked', 200, body);
  }
}

/** The phase's policy denies this tool or these arguments (`tool_forbidden`, `path_outside_workspace`, …). */
export class ToolForbiddenError extends OrchestratorError {}

/** The phase token is older than the task: another transition, release or expiry happened. */
export class StalePhaseTokenError extends OrchestratorError {}

/** Missing, invalid, expired or revoked credentials, or a role/owner that may not do this (401/403). */
export class AuthError extends OrchestratorError {}

/** No such task, gate, workflow or route (404). */
export class NotFoundError extends OrchestratorError {}

/** The task is not in the state this call needs (409: not holder, lease expired, phase mismatch, …). */
export class ConflictError extends OrchestratorError {}

/** The server could not be reached or is overloaded (network error, 429, 502/503/504) after retries. */
export class OrchestratorUnavailableError extends OrchestratorError {
  constructor(
    message: string,
    code: string,
    status: number,
    body: ErrorBody = {},
    readonly retryAfterMs?: number,
  ) {
    super(message, code, status, body);
  }
}

const TOOL_DENIALS = new Set([
  'tool_forbidden',
  'path_outside_workspace',
  'hard_link_refused',
  'shell_operator_not_allowed',
  'execution_disabled',
]);

/** The typed error for a non-2xx answer; `tried` (method and URL) is named in the message. */
export function errorFromResponse(
  status: number,
  body: ErrorBody,
  retryAfterMs?: number,
  tried?: string,
): OrchestratorError {
  const code = typeof body.code === 'string' ? body.code : `http_${status}`;
  const said = typeof body.message === 'string' ? body.message : `HTTP ${status}`;
  const message = tried ? `${tried}: ${status} ${code}: ${said}` : said;
  if (code === 'stale_phase_token') return new StalePhaseTokenError(message, code, status, body);
  if (TOOL_DENIALS.has(code)) return new ToolForbiddenError(message, code, status, body);
  if (status === 401 || status === 403) return new AuthError(message, code, status, body);
  if (status === 404) return new NotFoundError(message, code, status, body);
  if (status === 409) return new ConflictError(message, code, status, body);
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    return new OrchestratorUnavailableError(message, code, status, body, retryAfterMs);
  }
  return new OrchestratorError(message, code, status, body);
}
