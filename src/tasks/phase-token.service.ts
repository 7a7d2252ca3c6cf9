import { Injectable } from '@nestjs/common';
import { ForbiddenError, UnauthorizedError } from '../common/domain/domain-error.js';
import { type AccessClaims, type PhaseClaims } from '../auth/domain/token-claims.js';
import { AuthFailures } from '../auth/auth-failures.js';
import { TokenService } from '../auth/token.service.js';
import { type Task } from './domain/task.model.js';
import { type RequestScope } from '../common/http/request-scope.js';

/**
 * Phase-token rules (DESIGN.md §4): the token must be valid, belong to the bearer
 * (`sub`), to this task (`task_id`), and to the task's current token version (`ver`).
 */
@Injectable()
export class PhaseTokenService {
  constructor(
    private readonly tokens: TokenService,
    private readonly failures: AuthFailures,
  ) {}

  issue(task: Task, allowedTools: readonly string[]): string {
    if (!task.holder) throw new Error(`phase token requested for unheld task ${task.id}`);
    return this.tokens.mintPhase({
      agentId: task.holder,
      taskId: task.id,
      phase: task.phase,
      allowedTools,
      version: task.token_version,
    }).token;
  }

  /** Claims of a phase token whose signature, type and expiry are valid (no task checks yet). */
  verifySignature(token: string | undefined): PhaseClaims {
    if (!token) throw new UnauthorizedError('missing_phase_token', 'a phase token is required for this call');
    return this.tokens.verify(token, 'phase');
  }

  /**
   * Verified claims, or 401/403 with the precise reason. `checkVersion: false` skips only
   * the staleness check, for answering a replayed request from its idempotency record.
   */
  verifyFor(
    token: string | undefined,
    bearer: AccessClaims,
    task: Task,
    { checkVersion = true, scope = null }: { checkVersion?: boolean; scope?: RequestScope | null } = {},
  ): PhaseClaims {
    try {
      return this.check(token, bearer, task, checkVersion);
    } catch (err) {
      this.failures.refused({ actor: bearer.sub, role: bearer.role, err, task_id: task.id }, scope);
      throw err;
    }
  }

  /**
   * The checks that need no task: signature, bearer and the task id the request names. Run
   * before the task is looked up, so a refusal never depends on whether the task exists.
   */
  verifyForTaskId(
    token: string | undefined,
    bearer: AccessClaims,
    taskId: string,
    scope?: RequestScope | null,
  ): PhaseClaims {
    try {
      return this.checkIdentity(token, bearer, taskId);
    } catch (err) {
      this.failures.refused({ actor: bearer.sub, role: bearer.role, err, task_id: taskId }, scope);
      throw err;
    }
  }

  private check(
    token: string | undefined,
    bearer: AccessClaims,
    task: Task,
    checkVersion: boolean,
  ): PhaseClaims {
    const claims = this.checkIdentity(token, bearer, task.id);
    if (checkVersion && claims.ver !== task.token_version) {
      throw new ForbiddenError(
        'stale_phase_token',
        `the phase token is stale (task ${task.id} has moved on since it was issued): use the newest token`,
      );
    }
    return claims;
  }

  private checkIdentity(token: string | undefined, bearer: AccessClaims, taskId: string): PhaseClaims {
    const claims = this.verifySignature(token);
    if (claims.sub !== bearer.sub) {
      throw new ForbiddenError('phase_token_agent_mismatch', 'the phase token was issued to another agent');
    }
    if (claims.task_id !== taskId) {
      throw new ForbiddenError(
        'phase_token_task_mismatch',
        `the phase token is for another task, not ${taskId}`,
      );
    }
    return claims;
  }
}
