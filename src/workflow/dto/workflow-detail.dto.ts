import { ApiProperty } from '@nestjs/swagger';

export class RequiredArtifactDto {
  @ApiProperty({ example: 'plan_document' }) type!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Schema name (see `schemas`)' }) schema!:
    string | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
}

export class BlockerDto {
  @ApiProperty({ example: 'coverage_threshold_met', description: 'Named check, or `declarative`' })
  check!: string;
  @ApiProperty({ enum: ['blocking', 'warning', 'info'] }) severity!: string;
  @ApiProperty({ type: String, nullable: true }) message!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { threshold: 80 } })
  params!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: true,
    description: 'The rule of a declarative check: {artifact, pointer, op, value}',
  })
  rule!: Record<string, unknown> | null;
}

export class GateDto {
  @ApiProperty({ example: 'plan_approved' }) id!: string;
  @ApiProperty({ enum: ['approval', 'validation', 'review'] }) type!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [String] }) approvers!: string[];
  @ApiProperty({ type: Number, nullable: true }) timeout_seconds!: number | null;
  @ApiProperty({ type: [BlockerDto] }) blockers!: BlockerDto[];
}

export class ToolConstraintDto {
  @ApiProperty({ type: [String] }) allowed_patterns!: string[];
  @ApiProperty({ type: [String] }) forbidden_patterns!: string[];
  @ApiProperty({ type: [String] }) allowed_commands!: string[];
  @ApiProperty({ type: [String] }) forbidden_commands!: string[];
  @ApiProperty({
    oneOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string' } }],
    description: 'true, false, or the shell operators allowed',
  })
  allow_shell_operators!: boolean | string[];
  @ApiProperty({ type: [String], required: false, description: 'Argument keys holding paths' })
  path_args?: string[];
  @ApiProperty({ description: "This tool's commands reach the network" }) network!: boolean;
  @ApiProperty({ description: 'This tool may write under .git/' }) allow_git_writes!: boolean;
}

export class PhaseDto {
  @ApiProperty({ example: 'PLAN' }) id!: string;
  @ApiProperty({ example: 'Plan' }) name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [String] }) allowed_tools!: string[];
  @ApiProperty({ type: [String] }) forbidden_tools!: string[];
  @ApiProperty({ type: [RequiredArtifactDto] }) required_artifacts!: RequiredArtifactDto[];
  @ApiProperty({ type: [GateDto] }) gates!: GateDto[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ToolConstraintDto' },
    description: 'Constraints by tool name',
  })
  tool_constraints!: Record<string, ToolConstraintDto>;
}

export class TransitionDto {
  @ApiProperty({ example: 'PLAN' }) from!: string;
  @ApiProperty({ example: 'TDD' }) to!: string;
  @ApiProperty({ type: String, nullable: true, example: 'plan_approved' }) gate!: string | null;
  @ApiProperty() requires_token!: boolean;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
}

export class EnforcementDto {
  @ApiProperty({ enum: ['strict', 'permissive', 'audit'] }) mode!: string;
  @ApiProperty({ example: 'strict', description: 'As written in the file (`advisory` means audit)' })
  declared_mode!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { enabled: true, expiry_seconds: 7200 },
  })
  phase_tokens!: Record<string, unknown>;
}

export class UnenforcedKeyDto {
  @ApiProperty({ example: 'phases[0].auto_advance' }) path!: string;
  @ApiProperty({ example: 14 }) line!: number;
}

export class LoadWarningDto {
  @ApiProperty({ example: 41 }) line!: number;
  @ApiProperty({ example: "unknown check 'tests_are_meaningful' (severity warning) is not enforced" })
  message!: string;
}

export class WorkflowDetailDto {
  @ApiProperty({ example: 'agent_workflow' }) name!: string;
  @ApiProperty({ example: '1.0' }) version!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: EnforcementDto }) enforcement!: EnforcementDto;
  @ApiProperty({ type: [PhaseDto] }) phases!: PhaseDto[];
  @ApiProperty({ type: [TransitionDto] }) transitions!: TransitionDto[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schemas by name' })
  schemas!: Record<string, unknown>;
  @ApiProperty({
    type: [UnenforcedKeyDto],
    description: 'Keys kept from the file that the engine does not act on',
  })
  unenforced!: UnenforcedKeyDto[];
  @ApiProperty({
    type: [LoadWarningDto],
    description: 'What loads but may not do what its author expects (also logged at start-up)',
  })
  warnings!: LoadWarningDto[];
  @ApiProperty() is_default!: boolean;
}
