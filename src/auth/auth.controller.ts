import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { Principal, Roles } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { type AccessClaims } from './domain/token-claims.js';
import { AccessTokenDto, CreateTokenDto, RevokedDto, RevokeTokenDto } from './dto/token.dto.js';
import { InRequest, type RequestScope } from '../common/http/request-scope.js';

@ApiTags('auth')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked access token' })
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('tokens')
  @Roles('admin')
  @ApiOperation({ summary: 'Mint an access token (admin)' })
  @ApiCreatedResponse({ type: AccessTokenDto })
  mint(
    @Body() body: CreateTokenDto,
    @Principal() caller: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<AccessTokenDto> {
    return this.auth.mint(
      { role: body.role, subject: body.subject, ttlSeconds: body.ttl_seconds },
      caller,
      scope,
    );
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Exchange the bearer token for a new one (the old one is revoked with rotation on)',
  })
  @ApiOkResponse({ type: AccessTokenDto })
  refresh(
    @Principal() caller: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<AccessTokenDto> {
    return this.auth.refresh(caller, scope);
  }

  @Post('revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an access token (admins: any; others: their own)' })
  @ApiOkResponse({ type: RevokedDto })
  revoke(
    @Body() body: RevokeTokenDto,
    @Principal() caller: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<RevokedDto> {
    return this.auth.revoke(body.token, caller, scope);
  }
}
