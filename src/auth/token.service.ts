import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import jwt from 'jsonwebtoken';
import { Clock } from '../common/domain/clock.js';
import { UnauthorizedError } from '../common/domain/domain-error.js';
import { IdGenerator } from '../common/domain/ids.js';
import { AppConfig } from '../config/app-config.js';
import { SigningKeys } from './signing-keys.js';
import { claimsProblem } from './domain/claims-check.js';
import { signHs256 } from './domain/hs256-jws.js';
import { VerifiedTokenCache } from './domain/verified-token-cache.js';
import {
  type AccessClaims,
  type PhaseClaims,
  type Role,
  TOKEN_ISSUER,
  type TokenType,
} from './domain/token-claims.js';

export interface MintedToken<C> {
  token: string;
  claims: C;
}

export interface PhaseTokenInput {
  agentId: string;
  taskId: string;
  phase: string;
  allowedTools: readonly string[];
  version: number;
}

type ClaimsOf<T extends TokenType> = T extends 'access' ? AccessClaims : PhaseClaims;

/** Verified tokens remembered (about 1 KB each). */
const VERIFIED_TOKENS_CACHED = 10_000;

/**
 * Mints and verifies both kinds of JWT. Verification names what is wrong with a stable code
 * (`invalid_token`, `token_expired`, `wrong_token_type`, `token_claim_missing`, …) and never
 * echoes the token.
 */
@Injectable()
export class TokenService {
  private readonly verified = new VerifiedTokenCache<Record<string, unknown>>(VERIFIED_TOKENS_CACHED);

  constructor(
    private readonly jwtService: JwtService,
    private readonly keys: SigningKeys,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {}

  mintAccess(input: {
    role: Role;
    subject: string;
    ttlSeconds?: number;
    chainStartedAt?: number;
  }): MintedToken<AccessClaims> {
    const iat = this.nowSeconds();
    const claims: AccessClaims = {
      typ: 'access',
      iss: TOKEN_ISSUER,
      sub: input.subject,
      role: input.role,
      iat,
      exp: iat + (input.ttlSeconds ?? this.config.values.security.token_expiry_seconds),
      jti: this.ids.next(),
      orig_iat: input.chainStartedAt ?? iat,
    };
    return { token: this.sign(claims), claims };
  }

  mintPhase(input: PhaseTokenInput): MintedToken<PhaseClaims> {
    const iat = this.nowSeconds();
    const claims: PhaseClaims = {
      typ: 'phase',
      iss: TOKEN_ISSUER,
      sub: input.agentId,
      task_id: input.taskId,
      phase: input.phase,
      allowed_tools: [...input.allowedTools],
      ver: input.version,
      iat,
      exp: iat + this.config.values.security.token_expiry_seconds,
      jti: this.ids.next(),
    };
    return { token: this.sign(claims), claims };
  }

  /** Verifies signature, algorithm, issuer, expiry and `typ`; returns the claims. */
  verify<T extends TokenType>(token: string, typ: T): ClaimsOf<T> {
    const claims = this.verified.get(token) ?? this.verified.set(token, this.verifySignature(token, typ));
    // `exp` is a checked whole number (claimsProblem); expiry is re-checked on every use of a cached token.
    if (this.nowSeconds() >= (claims.exp as number)) {
      throw new UnauthorizedError('token_expired', `${typ} token has expired`);
    }
    if (claims.typ !== typ) {
      throw new UnauthorizedError(
        'wrong_token_type',
        `expected a ${typ} token, got a ${String(claims.typ)} token`,
      );
    }
    return claims as unknown as ClaimsOf<T>;
  }

  /** Signature, algorithm, key, issuer and expiry through jsonwebtoken, then every required claim. */
  private verifySignature(token: string, typ: TokenType): Record<string, unknown> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload !== 'object') {
      throw new UnauthorizedError('invalid_token', `malformed ${typ} token`);
    }
    if (decoded.header.alg !== this.keys.algorithm) {
      throw new UnauthorizedError(
        'invalid_token',
        `${typ} token algorithm '${decoded.header.alg}' is not accepted`,
      );
    }
    const key = this.keys.find(decoded.header.kid);
    if (!key)
      throw new UnauthorizedError('invalid_token', `${typ} token is not signed by a key this server knows`);
    let claims: Record<string, unknown>;
    try {
      claims = jwt.verify(token, key.key, {
        algorithms: [this.keys.algorithm],
        issuer: TOKEN_ISSUER,
        clockTimestamp: this.nowSeconds(),
        complete: false,
      }) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError)
        throw new UnauthorizedError('token_expired', `${typ} token has expired`);
      throw new UnauthorizedError('invalid_token', `${typ} token is invalid: ${(err as Error).message}`);
    }
    const problem = claimsProblem(claims);
    if (problem) throw problem;
    return claims;
  }

  private sign(claims: AccessClaims | PhaseClaims): string {
    // HS256 directly (the same bytes as jsonwebtoken, a fraction of its CPU); another algorithm
    // swapped into SigningKeys goes through JwtService.
    if (this.keys.algorithm === 'HS256')
      return signHs256(claims, this.keys.current.key, this.keys.current.kid);
    return this.jwtService.sign(claims, {
      privateKey: this.keys.current.key,
      algorithm: this.keys.algorithm,
      keyid: this.keys.current.kid,
    });
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }
}
