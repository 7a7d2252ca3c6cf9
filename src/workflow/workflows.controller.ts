import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import {
  summarizeWorkflow,
  toWorkflowView,
  type WorkflowSummary,
  type WorkflowView,
} from './domain/workflow-view.js';
import { ToolConstraintDto, WorkflowDetailDto } from './dto/workflow-detail.dto.js';
import { WorkflowListDto } from './dto/workflow-summary.dto.js';
import { WorkflowRegistry } from './workflow.registry.js';
import { Roles } from '../auth/auth.decorators.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';

@ApiTags('workflows')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@Roles('operator')
@ApiExtraModels(ToolConstraintDto)
@Controller('api/v1/workflows')
export class WorkflowsController {
  constructor(private readonly registry: WorkflowRegistry) {}

  @Get()
  @ApiOperation({ summary: 'The loaded workflows and which one is the default' })
  @ApiOkResponse({ type: WorkflowListDto })
  list(): { default_workflow: string; workflows: (WorkflowSummary & { is_default: boolean })[] } {
    const def = this.registry.getDefault();
    return {
      default_workflow: def.name,
      workflows: this.registry.list().map((wf) => ({ ...summarizeWorkflow(wf), is_default: wf === def })),
    };
  }

  @Get(':name')
  @ApiOperation({ summary: 'One workflow: phases, tools, gates, transitions, schemas' })
  @ApiParam({ name: 'name', example: 'agent_workflow' })
  @ApiQuery({ name: 'version', required: false, description: 'A specific version (default: the newest)' })
  @ApiOkResponse({ type: WorkflowDetailDto })
  @ApiNotFoundResponse({
    description: 'No workflow of that name (and version) is loaded: code `workflow_not_found`',
  })
  get(
    @Param('name') name: string,
    @Query('version') version?: string,
  ): WorkflowView & { is_default: boolean } {
    const wf = this.registry.get(name, version);
    return { ...toWorkflowView(wf), is_default: wf === this.registry.getDefault() };
  }
}
