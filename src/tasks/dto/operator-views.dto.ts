import { ApiProperty } from '@nestjs/swagger';
import { WorkflowRefDto } from './task.dto.js';

/** An approval requested and not decided yet. */
export class PendingApprovalDto {
  @ApiProperty() task_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: WorkflowRefDto }) workflow!: WorkflowRefDto;
  @ApiProperty({ description: 'The phase the gate is decided on leaving' }) phase!: string;
  @ApiProperty() gate_id!: string;
  @ApiProperty({
    type: [String],
    description: "The gate's approvers as the workflow writes them (empty: any operator or admin)",
  })
  approvers!: string[];
  @ApiProperty({ format: 'date-time' }) requested_at!: string;
  @ApiProperty({ description: 'The agent that submitted the artifacts (it may not approve them)' })
  requested_by!: string;
  @ApiProperty({ description: 'Name it as `digest` when approving', example: `sha256:${'0'.repeat(64)}` })
  digest!: string;
  @ApiProperty({ type: [String], description: 'Types of the artifacts the digest covers' })
  artifacts!: string[];
}

export class PendingApprovalsDto {
  @ApiProperty({ type: [PendingApprovalDto], description: 'Oldest request first' })
  approvals!: PendingApprovalDto[];
}

export class HeldTaskDto {
  @ApiProperty() task_id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() phase!: string;
  @ApiProperty({ example: 'claimed' }) status!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) lease_expires_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_heartbeat_at!: string | null;
}

export class LastDenialDto {
  @ApiProperty({ format: 'date-time' }) ts!: string;
  @ApiProperty({ nullable: true, type: String }) task_id!: string | null;
  @ApiProperty({ nullable: true, type: String }) tool_name!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}

export class AgentViewDto {
  @ApiProperty() agent_id!: string;
  @ApiProperty({ type: [HeldTaskDto], description: 'The claimed tasks it holds' }) tasks!: HeldTaskDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'Its latest claim, transition, heartbeat or denial that the view sees',
  })
  last_seen_at!: string | null;
  @ApiProperty({ description: 'Its requests denied since `denials_since` (the last hour)' })
  recent_denials!: number;
  @ApiProperty({ type: LastDenialDto, nullable: true }) last_denial!: LastDenialDto | null;
}

export class AgentsViewDto {
  @ApiProperty({ type: [AgentViewDto], description: 'By agent_id' }) agents!: AgentViewDto[];
  @ApiProperty({ format: 'date-time', description: 'Denials are counted from this time (now − 1 hour)' })
  denials_since!: string;
  @ApiProperty({ description: 'More than 1000 denials in the hour: the counts are of the newest 1000' })
  denials_truncated!: boolean;
}
