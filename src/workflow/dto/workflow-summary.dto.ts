import { ApiProperty } from '@nestjs/swagger';

export class WorkflowSummaryDto {
  @ApiProperty({ example: 'agent_workflow' }) name!: string;
  @ApiProperty({ example: '1.0' }) version!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ enum: ['strict', 'permissive', 'audit'] }) mode!: string;
  @ApiProperty({ type: [String], example: ['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE'] }) phases!: string[];
  @ApiProperty({ description: 'Whether new tasks get this workflow when they name none' })
  is_default!: boolean;
}

export class WorkflowListDto {
  @ApiProperty({ example: 'agent_workflow' }) default_workflow!: string;
  @ApiProperty({ type: [WorkflowSummaryDto], description: 'Every loaded workflow, newest version first' })
  workflows!: WorkflowSummaryDto[];
}
