import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ROLES, type Role } from '../domain/token-claims.js';

export class CreateTokenDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiProperty({ example: 'agent-001', description: 'Who the token is for (agent id or person)' })
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9._@:-]+$/, { message: 'may contain letters, digits and . _ @ : - only' })
  subject!: string;

  @ApiPropertyOptional({ description: 'Lifetime in seconds (default security.token_expiry_seconds)' })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(31_536_000)
  ttl_seconds?: number;
}

export class RevokeTokenDto {
  @ApiProperty({ description: 'The access token to revoke' })
  @IsString()
  @MaxLength(8192)
  token!: string;
}

export class AccessTokenDto {
  @ApiProperty() access_token!: string;
  @ApiProperty({ example: 'Bearer' }) token_type!: 'Bearer';
  @ApiProperty({ description: 'Seconds until expiry' }) expires_in!: number;
  @ApiProperty({ format: 'date-time' }) expires_at!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty() subject!: string;
  @ApiProperty({ description: 'Token id, for revocation and audit' }) jti!: string;
}

export class RevokedDto {
  @ApiProperty() revoked!: boolean;
  @ApiProperty() jti!: string;
}
