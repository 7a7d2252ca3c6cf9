import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsISO8601,
  IsInt,
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
}
