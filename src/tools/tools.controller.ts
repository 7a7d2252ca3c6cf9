import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Principal, Roles } from '../auth/auth.decorators.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { ToolDecisionDto, ToolExecutionDto, ToolRequestDto } from './dto/tool-request.dto.js';
import { ToolsService } from './tools.service.js';
import { InRequest, type RequestScope } from '../common/http/request-scope.js';

@ApiTags('tools')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing/invalid access or phase token' })
@Roles('agent')
@Controller('api/v1/tools')
export class ToolsController {
  constructor(private readonly tools: ToolsService) {}

  @Post('authorize')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'May the held task’s current phase use this tool with these arguments? (for agents that run tools themselves)',
  })
  @ApiOkResponse({ type: ToolDecisionDto })
  authorize(
    @Body() body: ToolRequestDto,
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<ToolDecisionDto> {
    return this.tools.authorize(agent, body, scope);
  }

  @Post('execute')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run the tool in the confined workspace, if the phase allows it' })
  @ApiOkResponse({ type: ToolExecutionDto })
  @ApiForbiddenResponse({
    description: 'tool_forbidden, path_outside_workspace, shell_operator_not_allowed, execution_disabled',
  })
  @ApiBadRequestResponse({ description: 'invalid_tool_args, tool_failed, command_timeout' })
  execute(
    @Body() body: ToolRequestDto,
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
  ): Promise<ToolExecutionDto> {
    return this.tools.execute(agent, body, scope);
  }
}
