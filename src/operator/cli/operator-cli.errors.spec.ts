import {
  AuthError,
  ConflictError,
  NotFoundError,
  OrchestratorError,
  OrchestratorUnavailableError,
} from '../../sdk/errors.js';
import { CliRefusal, CliUsageError, describeError, exitCodeFor } from './operator-cli.errors.js';

describe('exit codes of the operator commands', () => {
  it('1 for what the server refused (4xx), 2 for bad usage and for no answer (network, 429, 5xx)', () => {
    expect(exitCodeFor(new AuthError('m', 'invalid_token', 401))).toBe(1);
    expect(exitCodeFor(new NotFoundError('m', 'task_not_found', 404))).toBe(1);
    expect(exitCodeFor(new ConflictError('m', 'task_terminal', 409))).toBe(1);
    expect(exitCodeFor(new OrchestratorError('m', 'validation_failed', 400))).toBe(1);
    expect(exitCodeFor(new CliRefusal('nothing waits'))).toBe(1);
    expect(exitCodeFor(new CliUsageError('no url'))).toBe(2);
    expect(exitCodeFor(new OrchestratorUnavailableError('m', 'network_error', 0))).toBe(2);
    expect(exitCodeFor(new OrchestratorUnavailableError('m', 'rate_limited', 429))).toBe(2);
    expect(exitCodeFor(new OrchestratorError('m', 'internal_error', 500))).toBe(2);
    expect(exitCodeFor(new Error('bug'))).toBe(2);
  });
});

describe('describeError', () => {
  it('says the message of known errors as it is, and marks others unexpected', () => {
    expect(
      describeError(new NotFoundError('GET http://x/api/v1/tasks/a: 404 task_not_found: no', 'c', 404)),
    ).toBe('GET http://x/api/v1/tasks/a: 404 task_not_found: no');
    expect(describeError(new TypeError('boom'))).toBe('unexpected error: boom');
  });

  it('keeps a server message on one line, without escape sequences', () => {
    expect(describeError(new NotFoundError("no task with id 'a\n\u001b[2J'", 'task_not_found', 404))).toBe(
      "no task with id 'a\\u000a\\u001b[2J'",
    );
  });

  it('never prints the token, wherever it would appear', () => {
    const token = 'eyJhbGciOi.payload.signature';
    expect(describeError(new Error(`Headers: "Bearer ${token}" is invalid`), [token])).toBe(
      'unexpected error: Headers: "Bearer [redacted]" is invalid',
    );
  });
});
