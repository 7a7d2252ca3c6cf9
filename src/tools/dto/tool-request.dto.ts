import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class ToolRequestDto {
  @ApiProperty()
  @IsString()
  @MaxLength(128)
  task_id!: string;

  @ApiProperty({ description: 'Phase token of the task’s current phase' })
  @IsString()
  @MaxLength(8192)
  phase_token!: string;

  @ApiProperty({ example: 'read_files' })
  @IsString()
  @MaxLength(100)
  @Matches(/^[A-Za-z0-9_.:-]+$/, { message: 'must be a tool name (letters, digits, _ . : -)' })
  tool_name!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { paths: ['src/index.ts'] } })
  @IsOptional()
  @IsObject()
  args?: Record<string, unknown>;
}

export class ToolDecisionDto {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ example: "tool 'write_files' is not allowed in phase PLAN: its forbidden_tools name it" })
  reason!: string;
  @ApiProperty() phase!: string;
  @ApiProperty({ description: 'The canonical name (`grep` for `search_files`, `glob` for `list_files`)' })
  tool!: string;
  @ApiPropertyOptional({
    description: 'The workflow rule that decided',
    example: 'phases.PLAN.forbidden_tools',
  })
  rule?: string;
  @ApiPropertyOptional({
    enum: ['tool_forbidden', 'path_outside_workspace'],
    description: 'With `rule` when strict denies (or would deny): the error code execute answers',
  })
  code?: string;
  @ApiProperty({ enum: ['strict', 'permissive', 'audit'] }) mode!: string;
  @ApiProperty({ description: 'Allowed only because of a lenient mode: strict would deny' })
  would_deny!: boolean;
}

export class ToolExecutionDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The tool’s output' })
  result!: object;
  @ApiProperty({ description: 'The call is in the audit log' }) logged!: boolean;
  @ApiProperty() duration_ms!: number;
  @ApiProperty() phase!: string;
}
