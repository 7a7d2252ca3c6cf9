import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthorizedError } from '../common/domain/domain-error.js';
import { StateRepository } from '../state/state.repository.js';
import { type AuthenticatedRequest, PUBLIC_ROUTE, ROUTE_ROLES } from './auth.decorators.js';
import { AuthFailures } from './auth-failures.js';
import { sourceKey } from './domain/request-source.js';
import { type Role, roleSatisfies } from './domain/token-claims.js';
import { RefusedSourceLimiter } from './refused-source-limiter.js';
import { TokenService } from './token.service.js';

/**
 * Global guard: every route needs a valid, unrevoked access token with an admitted role,
 * unless marked @Public(). Deny by default, so a new route cannot be left open by mistake.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly state: StateRepository,
    private readonly failures: AuthFailures,
    private readonly limiter: RefusedSourceLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    try {
      const claims = this.tokens.verify(bearerOf(request), 'access');
      if (await this.state.isRevoked(claims.jti))
        throw new UnauthorizedError('token_revoked', 'access token has been revoked');
      const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROUTE_ROLES, targets) ?? [];
      if (roles.length > 0 && !roleSatisfies(claims.role, roles)) {
        throw new ForbiddenError(
          'insufficient_role',
          `role '${claims.role}' may not call this endpoint (needs ${roles.join(' or ')})`,
        );
      }
      request.principal = claims;
      return true;
    } catch (err) {
      // A source sending refused credentials too fast gets 429 instead; each is still counted.
      const limited = this.limiter.refuse(sourceKey(request.ip));
      this.failures.record(request, limited ?? err);
      throw limited ?? err;
    }
  }
}

function bearerOf(request: AuthenticatedRequest): string {
  const header = request.headers.authorization;
  if (!header)
    throw new UnauthorizedError(
      'missing_token',
      'an access token is required: Authorization: Bearer <token>',
    );
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new UnauthorizedError('invalid_token', 'Authorization header must be "Bearer <token>"');
  return match[1];
}
