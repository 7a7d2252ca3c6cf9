import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { SigningSecret } from '../config/signing-secret.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { AccessTokenStrategy } from './access-token.strategy.js';
import { AuthFailures } from './auth-failures.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { RateLimitGuard } from './rate-limit.guard.js';
import { RefusedSourceLimiter } from './refused-source-limiter.js';
import { SigningKeys } from './signing-keys.js';
import { TokenService } from './token.service.js';

@Global()
@Module({
  imports: [JwtModule.register({})],
  controllers: [AuthController],
  providers: [
    {
      provide: SigningKeys,
      useFactory: (secret: SigningSecret) => new SigningKeys(secret),
      inject: [SigningSecret],
    },
    TokenService,
    AuthService,
    AuthFailures,
    RefusedSourceLimiter,
    // Registers itself with Passport when created; AccessTokenGuard authenticates through it.
    AccessTokenStrategy,
    // Order matters: authenticate first, then count the request against its subject.
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [TokenService, AuthFailures, SigningKeys],
})
export class AuthModule {}
