import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ForbiddenError, UnauthorizedError } from '../common/domain/domain-error.js';
import { ACCESS_TOKEN_STRATEGY } from './access-token.strategy.js';
import { type AuthenticatedRequest, PUBLIC_ROUTE, ROUTE_ROLES } from './auth.decorators.js';
import { AuthFailures } from './auth-failures.js';
import { sourceKey } from './domain/request-source.js';
import { type AccessClaims, type Role, roleSatisfies } from './domain/token-claims.js';
import { RefusedSourceLimiter } from './refused-source-limiter.js';

/**
 * Global guard: every route needs a valid, unrevoked access token with an admitted role,
 * unless marked @Public(). Deny by default, so a new route cannot be left open by mistake.
 * Passport authenticates through AccessTokenStrategy and sets `request.principal`; the role
 * check, the refused-source limit and the failure record stay here.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_TOKEN_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly failures: AuthFailures,
    private readonly limiter: RefusedSourceLimiter,
  ) {
    super({ session: false, property: 'principal' });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targetsOf(context))) return true;
    try {
      // Passport's AuthGuard.canActivate is async: it resolves once the strategy has answered.
      return await (super.canActivate(context) as Promise<boolean>);
    } catch (err) {
      const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
      // A source sending refused credentials too fast gets 429 instead; each is still counted.
      const limited = this.limiter.refuse(sourceKey(request.ip));
      this.failures.record(request, limited ?? err);
      throw limited ?? err;
    }
  }

  /**
   * Passport's outcome: the strategy's own error as it is (never a generic 401), else the claims
   * if their role may call this route. Runs before Passport sets `request.principal`, so a
   * refused request carries no principal.
   */
  override handleRequest<TUser = AccessClaims>(
    err: unknown,
    claims: AccessClaims | false | null,
    _info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (err) throw err;
    if (!claims) throw new UnauthorizedError('invalid_token', 'access token was not accepted');
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROUTE_ROLES, targetsOf(context)) ?? [];
    if (roles.length > 0 && !roleSatisfies(claims.role, roles)) {
      throw new ForbiddenError(
        'insufficient_role',
        `role '${claims.role}' may not call this endpoint (needs ${roles.join(' or ')})`,
      );
    }
    return claims as TUser;
  }
}

function targetsOf(context: ExecutionContext) {
  return [context.getHandler(), context.getClass()];
}
