import { STATUS_CODES } from 'node:http';
import { type DomainErrorKind, DomainError } from '../domain/domain-error.js';
import { redactText } from '../domain/redaction.js';

/** The one error body of the API (DESIGN.md §2). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** `message` again: FastAPI's name, which the earlier orchestrator's SDK reads. */
  detail: string;
  code: string;
  [extra: string]: unknown;
}

export const STATUS_BY_KIND: Readonly<Record<DomainErrorKind, number>> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  not_implemented: 501,
  unavailable: 503,
};

/** Codes for errors raised by Fastify before a handler runs (parsing, limits, routing). */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_BAD_URL: 'invalid_url',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_request',
};

/** Codes for a plain HTTP status when nothing more precise is known. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Fastify says only "Unsupported Media Type"; say what the API takes. */
const MEDIA_TYPE_MESSAGE = 'the request body must be JSON, sent with Content-Type: application/json';

export function errorBody(
  statusCode: number,
  code: string,
  message: string,
  extra?: Record<string, unknown>,
): ErrorBody {
  const text = redactText(code === 'unsupported_media_type' ? MEDIA_TYPE_MESSAGE : message);
  return {
    ...extra,
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message: text,
    detail: text,
    code,
  };
}

interface HttpLikeError {
  getStatus(): number;
  getResponse(): string | object;
}

function isHttpLike(err: unknown): err is HttpLikeError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as HttpLikeError).getStatus === 'function' &&
    typeof (err as HttpLikeError).getResponse === 'function'
  );
}

/**
 * Maps anything thrown to a status and error body. Unknown errors become a 500 with a
 * generic message: their text may hold internals, so it goes to the log only.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof DomainError) {
    return errorBody(STATUS_BY_KIND[err.kind], err.code, err.message, err.details);
  }
  if (isHttpLike(err)) {
    const status = err.getStatus();
    const response = err.getResponse();
    // Nest wraps Fastify's client errors (body parsing, limits) and keeps the original as `cause`.
    const cause = (err as { cause?: { code?: unknown } }).cause;
    const fastifyCode = typeof cause?.code === 'string' ? FASTIFY_CODES[cause.code] : undefined;
    if (typeof response === 'string')
      return errorBody(status, fastifyCode ?? CODE_BY_STATUS[status] ?? 'error', response);
    const r = response as { message?: unknown; code?: unknown };
    const message = Array.isArray(r.message)
      ? r.message.join('; ')
      : String(r.message ?? STATUS_CODES[status]);
    const code =
      typeof r.code === 'string'
        ? r.code
        : (fastifyCode ?? (status === 404 ? 'route_not_found' : (CODE_BY_STATUS[status] ?? 'error')));
    return errorBody(status, code, message);
  }
  const fastify = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const code =
      (typeof fastify.code === 'string' && FASTIFY_CODES[fastify.code]) ||
      CODE_BY_STATUS[fastify.statusCode] ||
      'invalid_request';
    return errorBody(fastify.statusCode, code, String(fastify.message ?? STATUS_CODES[fastify.statusCode]));
  }
  return errorBody(500, 'internal_error', 'internal server error');
}
