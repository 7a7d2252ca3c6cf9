import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Principal, Roles } from '../auth/auth.decorators.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import {
  CommentDto,
  CreateTaskDto,
  GateDecisionDto,
  ListTasksQueryDto,
  RequeueDto,
} from './dto/operator-requests.dto.js';
import { TaskDto, TaskPageDto } from './dto/task.dto.js';
import { OperatorTasksService } from './operator-tasks.service.js';
import { InRequest, type RequestScope } from '../common/http/request-scope.js';

@ApiTags('operator')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked access token' })
@ApiForbiddenResponse({ description: 'Needs the operator or admin role' })
@Roles('operator')
@Controller('api/v1/tasks')
export class OperatorTasksController {
  constructor(private readonly tasks: OperatorTasksService) {}

  @Post()
  @ApiOperation({ summary: 'Enqueue a task (pinned to the workflow’s current version)' })
  @ApiCreatedResponse({ type: TaskDto })
  create(
    @Body() body: CreateTaskDto,
    @Principal() operator: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<TaskDto> {
    return this.tasks.create(operator, body, scope);
  }

  @Get()
  @ApiOperation({ summary: 'List tasks, filtered by status, phase and holder; paginated' })
  @ApiOkResponse({ type: TaskPageDto })
  list(@Query() query: ListTasksQueryDto): Promise<TaskPageDto> {
    return this.tasks.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One task with its artifacts, approvals and transition history' })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ description: 'No such task' })
  get(@Param('id') id: string): Promise<TaskDto> {
    return this.tasks.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel the task; its phase token stops working' })
  @ApiOkResponse({ type: TaskDto })
  cancel(
    @Param('id') id: string,
    @Body() body: CommentDto = {},
    @Principal() operator: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<TaskDto> {
    return this.tasks.cancel(operator, id, body?.comment, scope);
  }

  @Post(':id/requeue')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Put a failed or cancelled task back in the queue, in its phase with its artifacts (attempts reset unless reset_attempts is false)',
  })
  @ApiOkResponse({ type: TaskDto })
  @ApiNotFoundResponse({ description: '`task_not_found`' })
  @ApiConflictResponse({ description: '`task_not_requeueable` or `no_attempts_left`' })
  requeue(
    @Param('id') id: string,
    @Body() body: RequeueDto = {},
    @Principal() operator: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<TaskDto> {
    return this.tasks.requeue(operator, id, body ?? {}, scope);
  }

  @Post(':id/gates/:gate_id/approve')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Approve the artifacts submitted for an approval gate (their digest is recorded; other artifacts need a new approval)',
  })
  @ApiOkResponse({ type: TaskDto })
  @ApiForbiddenResponse({ description: '`not_an_approver` or `self_approval`' })
  @ApiConflictResponse({ description: '`nothing_to_approve` or `approval_digest_mismatch`' })
  approve(
    @Param('id') id: string,
    @Param('gate_id') gateId: string,
    @Body() body: GateDecisionDto = {},
    @Principal() operator: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<TaskDto> {
    return this.tasks.decideGate(operator, id, gateId, 'approved', body ?? {}, scope);
  }

  @Post(':id/gates/:gate_id/reject')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Reject the artifacts submitted for an approval gate (the transition stays blocked)',
  })
  @ApiOkResponse({ type: TaskDto })
  @ApiForbiddenResponse({ description: '`not_an_approver` or `self_approval`' })
  @ApiConflictResponse({ description: '`nothing_to_approve` or `approval_digest_mismatch`' })
  reject(
    @Param('id') id: string,
    @Param('gate_id') gateId: string,
    @Body() body: GateDecisionDto = {},
    @Principal() operator: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<TaskDto> {
    return this.tasks.decideGate(operator, id, gateId, 'rejected', body ?? {}, scope);
  }
}
