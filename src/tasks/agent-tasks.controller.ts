import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { Principal, Roles } from '../auth/auth.decorators.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { AgentTasksService } from './agent-tasks.service.js';
import {
  ClaimTaskDto,
  CompleteTaskDto,
  FailTaskDto,
  PhaseTokenBodyDto,
  TransitionRequestDto,
} from './dto/agent-requests.dto.js';
import {
  ClaimResponseDto,
  CompleteResponseDto,
  LeaseResponseDto,
  TransitionResponseDto,
} from './dto/agent-responses.dto.js';
import { InRequest, type RequestScope } from '../common/http/request-scope.js';

@ApiTags('agent')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing/invalid/expired/revoked access or phase token' })
@ApiForbiddenResponse({
  description: 'Not an agent, or the phase token is stale or belongs to another agent or task',
})
@Roles('agent')
@Controller('api/v1/tasks')
export class AgentTasksController {
  constructor(private readonly tasks: AgentTasksService) {}

  @Post('claim')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Resume the task the agent holds (`resumed: true`, fresh phase token), or claim the next eligible one (priority, then age); 204 when neither',
  })
  @ApiOkResponse({ type: ClaimResponseDto })
  @ApiNoContentResponse({ description: 'No eligible task' })
  async claim(
    @Body() body: ClaimTaskDto,
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ClaimResponseDto | undefined> {
    const claimed = await this.tasks.claim(agent, body, scope);
    if (!claimed) {
      void reply.status(204);
      return undefined;
    }
    return claimed;
  }

  @Post('transition')
  @HttpCode(200)
  @ApiOperation({ summary: 'Ask to move the held task to the next phase, handing in artifacts' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A retried request with the same key is answered, not applied, again',
  })
  @ApiOkResponse({
    type: TransitionResponseDto,
    description: '`allowed: false` with blockers when a gate blocks',
  })
  @ApiConflictResponse({ description: '`current_phase` is not the task’s phase, or the lease expired' })
  @ApiNotFoundResponse({ description: 'No such task' })
  transition(
    @Body() body: TransitionRequestDto,
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<TransitionResponseDto> {
    return this.tasks.transition(agent, body, idempotencyKey, scope);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Complete the task from its final phase with that phase’s artifacts' })
  @ApiOkResponse({ type: CompleteResponseDto })
  complete(
    @Param('id') id: string,
    @Body() body: CompleteTaskDto,
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<CompleteResponseDto> {
    return this.tasks.complete(agent, id, body.phase_token, body.artifacts, scope);
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Extend the lease on the held task' })
  @ApiHeader({ name: 'X-Phase-Token', required: false })
  @ApiOkResponse({ type: LeaseResponseDto })
  heartbeat(
    @Param('id') id: string,
    @Body() body: PhaseTokenBodyDto = {},
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
    @Headers('x-phase-token') headerToken?: string,
  ): Promise<LeaseResponseDto> {
    return this.tasks.heartbeat(agent, id, body?.phase_token ?? headerToken, scope);
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Give the task back: it keeps its phase and artifacts and is retried after the backoff',
  })
  @ApiHeader({ name: 'X-Phase-Token', required: false })
  @ApiOkResponse({ type: LeaseResponseDto })
  release(
    @Param('id') id: string,
    @Body() body: PhaseTokenBodyDto = {},
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
    @Headers('x-phase-token') headerToken?: string,
  ): Promise<LeaseResponseDto> {
    return this.tasks.release(agent, id, body?.phase_token ?? headerToken, scope);
  }

  @Post(':id/fail')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Report the attempt failed: retried after the backoff, failed for good after max_attempts',
  })
  @ApiHeader({ name: 'X-Phase-Token', required: false })
  @ApiOkResponse({ type: LeaseResponseDto })
  fail(
    @Param('id') id: string,
    @Body() body: FailTaskDto,
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
    @Headers('x-phase-token') headerToken?: string,
  ): Promise<LeaseResponseDto> {
    return this.tasks.fail(agent, id, body.reason, body.phase_token ?? headerToken, scope);
  }
}
