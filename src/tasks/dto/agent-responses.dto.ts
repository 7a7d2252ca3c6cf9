import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FindingDto } from './finding.dto.js';
import { ClaimedTaskDto, TaskDto } from './task.dto.js';

export { FindingDto } from './finding.dto.js';

export class ClaimResponseDto {
  @ApiProperty({
    type: ClaimedTaskDto,
    description:
      '`task.capabilities` is what the task requires (a subset of the agent’s); the earlier orchestrator echoed the agent’s own',
  })
  task!: ClaimedTaskDto;
  @ApiProperty({ description: 'Phase token for the task’s current phase' }) phase_token!: string;
  @ApiProperty({ example: 'PLAN' }) phase!: string;
  @ApiProperty({ type: [String] }) allowed_tools!: string[];
  @ApiProperty({ format: 'date-time' }) lease_expires_at!: string;
  @ApiProperty({
    description: 'True when this is the task the agent already held, picked up again with a fresh token',
  })
  resumed!: boolean;
}

export class TransitionResponseDto {
  @ApiProperty() allowed!: boolean;
  @ApiProperty({ description: 'The task’s phase after the request' }) phase!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Phase token for the new phase; null when blocked',
  })
  new_token!: string | null;
  @ApiPropertyOptional({ type: [String] }) allowed_tools?: string[];
  @ApiProperty({
    type: [String],
    description:
      'What blocks, one line each (the earlier orchestrator’s shape); the findings are in `blocker_details`',
  })
  blockers!: string[];
  @ApiProperty({ type: [FindingDto], description: 'What blocks, as structured findings' })
  blocker_details!: FindingDto[];
  @ApiProperty({ type: [FindingDto] }) warnings!: FindingDto[];
  @ApiPropertyOptional({
    type: [FindingDto],
    description: 'What strict mode would have blocked (permissive/audit)',
  })
  would_block?: FindingDto[];
  @ApiPropertyOptional() gate?: string;
  @ApiProperty({ enum: ['strict', 'permissive', 'audit'] }) mode!: string;
}

export class CompleteResponseDto {
  @ApiProperty() completed!: boolean;
  @ApiPropertyOptional({ type: TaskDto }) task?: TaskDto;
  @ApiProperty({
    type: [String],
    description:
      'What blocks, one line each (the earlier orchestrator’s shape); the findings are in `blocker_details`',
  })
  blockers!: string[];
  @ApiProperty({ type: [FindingDto], description: 'What blocks, as structured findings' })
  blocker_details!: FindingDto[];
  @ApiProperty({ type: [FindingDto] }) warnings!: FindingDto[];
}

export class LeaseResponseDto {
  @ApiProperty() task_id!: string;
  @ApiProperty() status!: string;
  @ApiProperty() phase!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lease_expires_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) retry_not_before!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty() max_attempts!: number;
}

export class DependencyStatusDto {
  @ApiProperty() id!: string;
  @ApiProperty() status!: string;
}

export class NextTransitionDto {
  @ApiProperty() to!: string;
  @ApiPropertyOptional() gate?: string;
  @ApiPropertyOptional() gate_type?: string;
  @ApiPropertyOptional({ description: 'For approval gates: whether an approval is recorded' })
  approved?: boolean;
}

export class StateSnapshotDto {
  @ApiProperty() task_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() status!: string;
  @ApiProperty() current_phase!: string;
  @ApiProperty({ description: 'Workflow name and version the task is pinned to' }) workflow!: {
    name: string;
    version: string;
  };
  @ApiProperty({ type: [String] }) allowed_tools!: string[];
  @ApiProperty({ type: [String] }) forbidden_tools!: string[];
  @ApiProperty({ type: [String], description: 'Artifact types this phase must hand in' })
  required_artifacts!: string[];
  @ApiProperty({ type: [String], description: 'Artifact types already stored for the task' })
  artifacts_present!: string[];
  @ApiProperty({ type: [NextTransitionDto] }) next_transitions!: NextTransitionDto[];
  @ApiProperty({ type: [DependencyStatusDto] }) task_dependencies!: DependencyStatusDto[];
  @ApiProperty({ type: [String], description: 'Dependencies already completed' }) completed_tasks!: string[];
  @ApiProperty({
    type: [String],
    description: 'What blocks the next transition with the stored artifacts (first one), one line each',
  })
  blockers!: string[];
  @ApiProperty({ type: [FindingDto], description: 'The same, as structured findings' })
  blocker_details!: FindingDto[];
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lease_expires_at!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty() token_version!: number;
}
