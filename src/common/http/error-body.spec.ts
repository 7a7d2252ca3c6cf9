import { ConflictError, ForbiddenError, UnavailableError } from '../domain/domain-error.js';
import { toErrorBody } from './error-body.js';

describe('toErrorBody', () => {
  it('maps domain errors by kind and keeps their code and details', () => {
    expect(toErrorBody(new ForbiddenError('tool_forbidden', 'no', { phase: 'PLAN' }))).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'no',
      detail: 'no',
      code: 'tool_forbidden',
      phase: 'PLAN',
    });
    expect(toErrorBody(new ConflictError('wrong_phase', 'x')).statusCode).toBe(409);
    expect(toErrorBody(new UnavailableError('state_write_failed', 'x')).statusCode).toBe(503);
  });

  it('hides the text of unexpected errors behind a generic 500', () => {
    expect(toErrorBody(new Error('ENOENT /secret/path'))).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'internal server error',
      detail: 'internal server error',
      code: 'internal_error',
    });
  });

  it('maps Fastify client errors to stable codes', () => {
    expect(
      toErrorBody({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', message: 'too big' }),
    ).toMatchObject({
      statusCode: 413,
      code: 'payload_too_large',
    });
  });

  it('never lets a token through in a message', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.abcdefghijk';
    expect(toErrorBody(new ForbiddenError('x', `bad token ${jwt}`)).message).not.toContain(jwt);
  });
});
