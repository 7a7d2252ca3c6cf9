import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail.js';
import { Clock } from '../common/domain/clock.js';
import { ForbiddenError, UnauthorizedError } from '../common/domain/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import { EventBus } from '../events/event-bus.js';
import { AuditOutbox } from '../state/outbox/audit-outbox.js';
import { StateRepository } from '../state/state.repository.js';
import { type AccessClaims, type Role } from './domain/token-claims.js';
import { type AccessTokenDto } from './dto/token.dto.js';
import { TokenService } from './token.service.js';
import { type RequestScope } from '../common/http/request-scope.js';

/** Use cases of access tokens: mint, refresh with rotation, revoke. Each is audited before it answers. */
@Injectable()
export class AuthService {
  constructor(
    private readonly tokens: TokenService,
    private readonly state: StateRepository,
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly outbox: AuditOutbox,
  ) {}

  async mint(
    input: { role: Role; subject: string; ttlSeconds?: number },
    caller: AccessClaims,
    scope?: RequestScope | null,
  ): Promise<AccessTokenDto> {
    const minted = this.tokens.mintAccess(input);
    const facts = {
      jti: minted.claims.jti,
      role: input.role,
      subject: input.subject,
      expires_at: minted.claims.exp,
    };
    await this.audit.record(
      {
        actor: caller.sub,
        role: caller.role,
        action: 'token.mint',
        decision: 'allowed',
        success: true,
        details: facts,
      },
      scope,
    );
    this.events.publish('token.minted', { actor: caller.sub, data: facts });
    return this.describe(minted.token, minted.claims);
  }

  /**
   * A new token for the caller's identity and role. With `require_token_rotation` the old
   * one is revoked before the new one is returned; a chain may not outlive `max_token_age_seconds`.
   */
  async refresh(current: AccessClaims, scope?: RequestScope | null): Promise<AccessTokenDto> {
    const { require_token_rotation, max_token_age_seconds, token_expiry_seconds } =
      this.config.values.security;
    const now = Math.floor(this.clock.now() / 1000);
    const chainEnds = current.orig_iat + max_token_age_seconds;
    if (now >= chainEnds) {
      throw new UnauthorizedError(
        'refresh_chain_too_old',
        'this token chain is older than security.max_token_age_seconds: mint a new token',
      );
    }
    const minted = this.tokens.mintAccess({
      role: current.role,
      subject: current.sub,
      ttlSeconds: Math.min(token_expiry_seconds, chainEnds - now),
      chainStartedAt: current.orig_iat,
    });
    const facts = { old_jti: current.jti, jti: minted.claims.jti, old_revoked: require_token_rotation };
    const entry = {
      actor: current.sub,
      role: current.role,
      action: 'token.refresh',
      decision: 'allowed',
      success: true,
      details: facts,
    };
    if (require_token_rotation) {
      const rotated = await this.state.addRevocation(
        current.jti,
        current.exp * 1000,
        this.outbox.entry(entry, scope),
      );
      // Another refresh of this token won the race (or it was revoked meanwhile): one new token, not two.
      if (!rotated) {
        await this.audit.record(
          {
            ...entry,
            decision: 'denied',
            success: false,
            reason: 'the token was refreshed or revoked meanwhile',
            details: { old_jti: current.jti },
          },
          scope,
        );
        throw new UnauthorizedError('token_revoked', 'access token has been revoked');
      }
      await this.outbox.deliver();
    } else {
      await this.audit.record(entry, scope);
    }
    this.events.publish('token.refreshed', { actor: current.sub, data: facts });
    return this.describe(minted.token, minted.claims);
  }

  /** Revokes an access token: admins any, others only their own. */
  async revoke(
    token: string,
    caller: AccessClaims,
    scope?: RequestScope | null,
  ): Promise<{ revoked: boolean; jti: string }> {
    const claims = this.tokens.verify(token, 'access');
    if (caller.role !== 'admin' && claims.sub !== caller.sub) {
      throw new ForbiddenError('not_token_owner', 'only an admin may revoke another subject’s token');
    }
    const facts = { jti: claims.jti, subject: claims.sub };
    const entry = {
      actor: caller.sub,
      role: caller.role,
      action: 'token.revoke',
      decision: 'allowed',
      success: true,
      details: facts,
    };
    const revoked = await this.state.addRevocation(
      claims.jti,
      claims.exp * 1000,
      this.outbox.entry(entry, scope),
    );
    // Revoked before: nothing was stored, but the request is still on the record.
    if (revoked) await this.outbox.deliver();
    else await this.audit.record({ ...entry, details: { ...facts, already_revoked: true } }, scope);
    this.events.publish('token.revoked', { actor: caller.sub, data: facts });
    return { revoked: true, jti: claims.jti };
  }

  private describe(token: string, claims: AccessClaims): AccessTokenDto {
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: claims.exp - claims.iat,
      expires_at: new Date(claims.exp * 1000).toISOString(),
      role: claims.role,
      subject: claims.sub,
      jti: claims.jti,
    };
  }
}
