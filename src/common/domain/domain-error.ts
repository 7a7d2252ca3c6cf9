/**
 * The one error vocabulary of the service. Domain and application code throw these;
 * a single exception filter maps `kind` to an HTTP status, so services stay transport-free
 * and the CLI can call them too. `code` is stable and documented for clients.
 */
export type DomainErrorKind =
  | 'invalid_input'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'rate_limited'
  | 'not_implemented'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    /** Extra fields merged into the error body (e.g. blockers). Never put secrets here. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('invalid_input', code, message, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(code: string, message: string) {
    super('unauthorized', code, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('forbidden', code, message, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(code: string, message: string) {
    super('not_found', code, message);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super('conflict', code, message, details);
  }
}

export class UnavailableError extends DomainError {
  constructor(code: string, message: string) {
    super('unavailable', code, message);
  }
}
