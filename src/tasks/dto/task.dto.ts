import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TASK_STATUSES } from '../domain/task.model.js';
import { FindingDto } from './finding.dto.js';

export class WorkflowRefDto {
  @ApiProperty() name!: string;
  @ApiProperty() version!: string;
}

export class ApprovalDto {
  @ApiProperty() gate_id!: string;
  @ApiProperty() phase!: string;
  @ApiProperty({ enum: ['approved', 'rejected'] }) decision!: string;
  @ApiProperty() by!: string;
  @ApiProperty({ nullable: true, type: String }) comment!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiPropertyOptional({
    description:
      'sha256: digest of the artifacts decided on; absent on approvals from before digests (they pass nothing)',
  })
  digest?: string;
  @ApiPropertyOptional({ type: [String], description: 'Types of the artifacts the digest covers' })
  artifacts?: string[];
}

/** Artifacts submitted for an approval gate, waiting for an operator's decision. */
export class ApprovalRequestDto {
  @ApiProperty() gate_id!: string;
  @ApiProperty() phase!: string;
  @ApiProperty({ description: 'Name this digest when approving (`digest` in the body)' }) digest!: string;
  @ApiProperty({ type: [String] }) artifacts!: string[];
  @ApiProperty({ description: 'The agent that submitted them' }) by!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class TaskHistoryEntryDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty() actor!: string;
  @ApiProperty() action!: string;
  @ApiProperty({ nullable: true, type: String }) from_phase!: string | null;
  @ApiProperty() to_phase!: string;
  @ApiProperty({ nullable: true, type: String }) from_status!: string | null;
  @ApiProperty() to_status!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}

/** Why the task's last transition or completion request was refused (docs/API.md, "Operator views"). */
export class BlockedOnDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ description: 'The phase the task was (and is) in' }) phase!: string;
  @ApiProperty({ description: 'The phase asked for, or `completed` for a completion' }) to_phase!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The gate that refused; null when none did' })
  gate_id!: string | null;
  @ApiProperty({ description: 'An approval request of this gate in this phase waits for a decision' })
  approval_pending!: boolean;
  @ApiProperty({
    type: [String],
    description: "The gate's approvers as the workflow writes them (empty: any operator or admin)",
  })
  approvers!: string[];
  @ApiProperty({ type: [String], description: 'The blockers, one line each' }) blockers!: string[];
  @ApiProperty({ type: [FindingDto], description: 'The blockers as findings (at most 50 kept)' })
  blocker_details!: FindingDto[];
}

/** A task as listed: everything but artifacts and history. */
export class TaskSummaryDto {
  @ApiProperty() id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: WorkflowRefDto }) workflow!: WorkflowRefDto;
  @ApiProperty() phase!: string;
  @ApiProperty({ enum: TASK_STATUSES }) status!: string;
  @ApiProperty({ nullable: true, type: String }) holder!: string | null;
  @ApiProperty({ type: [String] }) capabilities!: string[];
  @ApiProperty({ type: [String] }) dependencies!: string[];
  @ApiProperty() priority!: number;
  @ApiProperty() attempts!: number;
  @ApiProperty() max_attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lease_expires_at!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: "The holder's last heartbeat or resume in this attempt",
  })
  last_heartbeat_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) retry_not_before!: string | null;
  @ApiProperty() token_version!: number;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) completed_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) failure_reason!: string | null;
  @ApiProperty({
    type: BlockedOnDto,
    nullable: true,
    description: 'Why the last transition or completion request was refused; null once the task moved on',
  })
  blocked_on!: BlockedOnDto | null;
}

/** A task in full: with the artifacts of every phase, approvals and history. */
export class TaskDto extends TaskSummaryDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Artifacts by phase, then by type',
  })
  artifacts!: Record<string, Record<string, unknown>>;
  @ApiProperty({ type: [ApprovalDto] }) approvals!: ApprovalDto[];
  @ApiProperty({ type: [ApprovalRequestDto], description: 'Submissions waiting for a gate decision' })
  approval_requests!: ApprovalRequestDto[];
  @ApiProperty({ type: [TaskHistoryEntryDto] }) history!: TaskHistoryEntryDto[];
}

/** A task as a claim answers it. */
export class ClaimedTaskDto extends TaskDto {
  @ApiProperty({ description: 'The agent that now holds the task (= `holder`, the access token’s subject)' })
  agent_id!: string;
  @ApiProperty({ description: 'The phase the claim starts in (= `phase`; a resumed task keeps its phase)' })
  assigned_phase!: string;
}

export class TaskPageDto {
  @ApiProperty({ type: [TaskSummaryDto] }) tasks!: TaskSummaryDto[];
  @ApiProperty({ description: 'Matches over all pages' }) total!: number;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Pass as `cursor` for the next page' })
  next_cursor!: string | null;
}
