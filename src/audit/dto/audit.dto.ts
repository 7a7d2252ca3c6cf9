import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsISO8601,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' ? true : value === 'false' ? false : value;

export class AuditQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) task_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) phase?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) tool_name?: string;

  @ApiPropertyOptional({ description: 'Exact action, or a prefix ending in .* (task.*)' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_.]*(\.\*)?$/, { message: 'must be an action like task.transition or task.*' })
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({
    description: 'Exact decision: allowed, denied, blocked, error, n/a, …',
    example: 'denied',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_./-]*$/, { message: 'must be a decision like denied or n/a' })
  @MaxLength(50)
  decision?: string;

  @ApiPropertyOptional({
    description: 'Exact actor: a token subject, system or anonymous',
    example: 'agent-007',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'Exact role: agent, operator, admin or system', example: 'agent' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  role?: string;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  success?: boolean;

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive' })
  @IsOptional()
  @IsISO8601()
  since?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive' })
  @IsOptional()
  @IsISO8601()
  until?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page (older entries)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class AuditRecentQueryDto {
  @ApiPropertyOptional({ default: 20, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  count?: number;
}

export class AuditStatsQueryDto {
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601() since?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @IsOptional() @IsISO8601() until?: string;
}

export class AuditEntryDto {
  @ApiProperty() seq!: number;
  @ApiProperty({ format: 'date-time' }) ts!: string;
  @ApiProperty() actor!: string;
  @ApiProperty({ nullable: true, type: String }) role!: string | null;
  @ApiProperty({ example: 'task.transition' }) action!: string;
  @ApiProperty({ example: 'blocked' }) decision!: string;
  @ApiProperty() success!: boolean;
  @ApiProperty({ nullable: true, type: String }) task_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) phase!: string | null;
  @ApiProperty({ nullable: true, type: String }) tool!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Same as `tool` (the earlier orchestrator’s name)',
  })
  tool_name!: string | null;
  @ApiProperty({ format: 'date-time', description: 'Same as `ts` (the earlier orchestrator’s name)' })
  timestamp!: string;
  @ApiProperty({ nullable: true, description: 'Redacted, size-capped arguments' }) args!: unknown;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ nullable: true }) blockers!: unknown;
  @ApiProperty({ nullable: true }) details!: unknown;
  @ApiProperty({ nullable: true, type: Number }) duration_ms!: number | null;
  @ApiProperty({ nullable: true, type: String }) request_id!: string | null;
  @ApiProperty() prev_hash!: string;
  @ApiProperty() hash!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] }) entries!: AuditEntryDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor!: string | null;
  @ApiProperty({
    description: 'Entries in this page (as the earlier orchestrator answered), not all matches',
  })
  total!: number;
}

export class AuditCountsDto {
  @ApiProperty() total!: number;
  @ApiProperty() successes!: number;
  @ApiProperty() failures!: number;
}

export class AuditStatsDto extends AuditCountsDto {
  @ApiProperty({ nullable: true, type: Number, description: 'successes / total; null without entries' })
  success_rate!: number | null;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/AuditCountsDto' } })
  by_tool!: Record<string, AuditCountsDto>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/AuditCountsDto' } })
  by_phase!: Record<string, AuditCountsDto>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/AuditCountsDto' } })
  by_decision!: Record<string, AuditCountsDto>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/AuditCountsDto' } })
  by_action!: Record<string, AuditCountsDto>;
  @ApiProperty({ nullable: true, type: Number }) first_seq!: number | null;
  @ApiProperty({ nullable: true, type: Number }) last_seq!: number | null;
  @ApiProperty({ nullable: true, type: String }) since!: string | null;
  @ApiProperty({ nullable: true, type: String }) until!: string | null;
  @ApiProperty({ description: 'Same as `total` (earlier name; counts every action, not only tool calls)' })
  total_entries!: number;
  @ApiProperty({ description: 'Same as `successes` (earlier name)' }) total_successes!: number;
  @ApiProperty({ description: 'Same as `failures` (earlier name)' }) total_failures!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Entries by tool, `by_tool[*].total` (earlier name)',
  })
  tools_used!: Record<string, number>;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Entries by phase, `by_phase[*].total` (earlier name)',
  })
  phases!: Record<string, number>;
}

export class AuditBreakDto {
  @ApiProperty({ description: 'The seq missing or damaged' }) seq!: number;
  @ApiProperty() file!: string;
  @ApiProperty({ description: '1-based line in file' }) line!: number;
  @ApiProperty({ example: 'prev_hash_mismatch' }) reason!: string;
  @ApiProperty() message!: string;
}

export class AuditVerifyDto {
  @ApiProperty() valid!: boolean;
  @ApiProperty({ description: 'Entries checked (up to the break, if any)' }) entries!: number;
  @ApiProperty() files!: number;
  @ApiProperty({ nullable: true, type: Number }) first_seq!: number | null;
  @ApiProperty({ nullable: true, type: Number }) last_seq!: number | null;
  @ApiProperty({ nullable: true, type: String }) last_hash!: string | null;
  @ApiProperty({ description: '0 when the chain starts at genesis; else the last seq retention deleted' })
  starts_after_seq!: number;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'Torn lines vouched for by audit.recover entries',
  })
  recovered!: unknown[];
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description:
      'Ranges {from_seq, to_seq, cause: crash|no_anchor} a start-up found unsigned and signed as found (audit.signed_late entries)',
  })
  signed_late!: unknown[];
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'A torn last line not yet recovered',
  })
  torn_tail!: unknown;
  @ApiProperty({ description: 'Whether checkpoint signatures were checked (always, on the server)' })
  signatures_checked!: boolean;
  @ApiProperty({ description: 'Signed checkpoints found and verified' }) checkpoints!: number;
  @ApiProperty({ nullable: true, type: Number }) last_checkpoint_seq!: number | null;
  @ApiProperty({ description: 'Entries after the last checkpoint, only hash-chained until the next one' })
  unanchored_entries!: number;
  @ApiProperty({ description: 'Retention deleted every seq up to this one, as the last checkpoint records' })
  pruned_through_seq!: number;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description: 'The anchor checked: {location, seq, found}',
  })
  anchor!: unknown;
  @ApiPropertyOptional({ type: AuditBreakDto }) first_broken?: AuditBreakDto;
}
