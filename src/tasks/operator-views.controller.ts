import { Controller, Get } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { AgentsViewDto, PendingApprovalsDto } from './dto/operator-views.dto.js';
import { OperatorViewsService } from './operator-views.service.js';

@ApiTags('operator')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked access token' })
@ApiForbiddenResponse({ description: 'Needs the operator or admin role' })
@Roles('operator')
@Controller('api/v1')
export class OperatorViewsController {
  constructor(private readonly views: OperatorViewsService) {}

  @Get('approvals')
  @ApiOperation({ summary: 'Every approval requested and not yet decided, oldest first' })
  @ApiOkResponse({ type: PendingApprovalsDto })
  approvals(): Promise<PendingApprovalsDto> {
    return this.views.pendingApprovals();
  }

  @Get('agents')
  @ApiOperation({
    summary: 'Agents: the tasks each holds (lease, last heartbeat), and its denials in the last hour',
  })
  @ApiOkResponse({ type: AgentsViewDto })
  agents(): Promise<AgentsViewDto> {
    return this.views.agents();
  }
}
