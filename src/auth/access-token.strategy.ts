import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import passport from 'passport';
import { Strategy } from 'passport-custom';
import { UnauthorizedError } from '../common/domain/domain-error.js';
import { StateRepository } from '../state/state.repository.js';
import { type AuthenticatedRequest } from './auth.decorators.js';
import { type AccessClaims } from './domain/token-claims.js';
import { TokenService } from './token.service.js';

/** The name the access-token strategy is registered under with Passport. */
export const ACCESS_TOKEN_STRATEGY = 'access-token';

/**
 * Passport strategy for access tokens: the `Authorization: Bearer` header, verified by
 * TokenService, not revoked. passport-custom hands the whole request to `validate`, so the header
 * rules and every refusal code stay ours; a thrown DomainError reaches the guard as Passport's
 * `err` unchanged (passport-jwt and passport-http-bearer would parse the header themselves, turn
 * failures into one generic 401, and http-bearer also reads tokens from the query and the body).
 * Passport keeps strategies in one process-wide registry, so a process runs one app at a time
 * (as `serve` does); a closed app takes its strategy out again.
 */
@Injectable()
export class AccessTokenStrategy
  extends PassportStrategy(Strategy, ACCESS_TOKEN_STRATEGY)
  implements OnModuleDestroy
{
  constructor(
    private readonly tokens: TokenService,
    private readonly state: StateRepository,
  ) {
    super();
  }

  async validate(request: AuthenticatedRequest): Promise<AccessClaims> {
    const claims = this.tokens.verify(bearerOf(request), 'access');
    if (await this.state.isRevoked(claims.jti))
      throw new UnauthorizedError('token_revoked', 'access token has been revoked');
    return claims;
  }

  onModuleDestroy(): void {
    const registered = (passport as unknown as { _strategy(name: string): unknown })._strategy(
      ACCESS_TOKEN_STRATEGY,
    );
    if (registered === this) passport.unuse(ACCESS_TOKEN_STRATEGY);
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
