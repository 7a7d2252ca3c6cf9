import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const ID = /^[A-Za-z0-9._@:-]+$/;
const ID_MESSAGE = 'may contain letters, digits and . _ @ : - only';

export class ClaimTaskDto {
  @ApiPropertyOptional({
    description: 'Must equal the access token subject when given (compatibility field)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(ID, { message: ID_MESSAGE })
  agent_id?: string;

  @ApiPropertyOptional({ type: [String], example: ['typescript', 'backend'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  capabilities?: string[];
}

export class TransitionRequestDto {
  @ApiProperty()
  @IsString()
  @MaxLength(128)
  task_id!: string;

  @ApiProperty({ example: 'PLAN' })
  @IsString()
  @MaxLength(100)
  current_phase!: string;

  @ApiProperty({ example: 'TDD' })
  @IsString()
  @MaxLength(100)
  target_phase!: string;

  @ApiProperty({ description: 'The phase token of the current phase' })
  @IsString()
  @MaxLength(8192)
  phase_token!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Artifacts by type for the phase being left',
  })
  @IsOptional()
  @IsObject()
  artifacts?: Record<string, unknown>;
}

export class CompleteTaskDto {
  @ApiProperty()
  @IsString()
  @MaxLength(8192)
  phase_token!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: "The final phase's artifacts by type",
  })
  @IsOptional()
  @IsObject()
  artifacts?: Record<string, unknown>;
}

export class PhaseTokenBodyDto {
  @ApiPropertyOptional({ description: 'Phase token (or X-Phase-Token header); checked when given' })
  @IsOptional()
  @IsString()
  @MaxLength(8192)
  phase_token?: string;
}

export class FailTaskDto extends PhaseTokenBodyDto {
  @ApiProperty({ example: 'tests cannot run: missing database' })
  @IsString()
  @MaxLength(2000)
  reason!: string;
}
