import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { DIGEST_PATTERN } from '../../workflow/domain/artifact-digest.js';
import { TASK_STATUSES, type TaskStatus } from '../domain/task.model.js';

export class CreateTaskDto {
  @ApiProperty({ example: 'Add rate limiting to the API' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  title!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  description?: string;

  @ApiPropertyOptional({ description: 'Workflow name (default: the server default workflow)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  workflow?: string;

  @ApiPropertyOptional({ type: [String], description: 'Ids of tasks that must complete first' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  dependencies?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Capabilities an agent needs to claim it' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  capabilities?: string[];

  @ApiPropertyOptional({ default: 0, description: 'Higher is claimed first' })
  @IsOptional()
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  priority?: number;

  @ApiPropertyOptional({ description: 'Claims before the task fails (default tasks.max_attempts)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  max_attempts?: number;
}

export class ListTasksQueryDto {
  @ApiPropertyOptional({ enum: TASK_STATUSES })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  phase?: string;

  @ApiPropertyOptional({ description: 'Tasks held by this agent' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  agent_id?: string;

  @ApiPropertyOptional({ default: 50, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class CommentDto {
  @ApiPropertyOptional({ example: 'Plan reviewed; scope is fine' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  comment?: string;
}

export class GateDecisionDto extends CommentDto {
  @ApiPropertyOptional({
    description:
      'Digest of the artifacts you reviewed (`approval_requests[].digest` of the task); refused with 409 ' +
      '`approval_digest_mismatch` when the agent has submitted others since. Recommended.',
    example: `sha256:${'0'.repeat(64)}`,
  })
  @IsOptional()
  @IsString()
  @Matches(DIGEST_PATTERN, { message: 'digest must be sha256: and 64 lower-case hex digits' })
  digest?: string;
}

export class RequeueDto {
  @ApiPropertyOptional({ example: 'runner fixed; try again', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;

  @ApiPropertyOptional({
    default: true,
    description:
      'Attempts back to 0 (default). false keeps the count: refused with 409 `no_attempts_left` when none are left',
  })
  @IsOptional()
  @IsBoolean()
  reset_attempts?: boolean;
}
