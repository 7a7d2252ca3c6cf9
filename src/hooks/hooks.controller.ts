import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PreToolUseOutputDto } from './dto/pre-tool-use-output.dto.js';
import { Principal, Roles } from '../auth/auth.decorators.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { type PreToolUseOutput } from './domain/hook-output.js';
import { HooksService } from './hooks.service.js';
import { InRequest, type RequestScope } from '../common/http/request-scope.js';

@ApiTags('hooks')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@Roles('agent')
@Controller('api/v1/hooks')
export class HooksController {
  constructor(private readonly hooks: HooksService) {}

  @Post('claude-code/pre-tool-use')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Claude Code PreToolUse HTTP hook: the body is the hook JSON; answers allow or deny (never a non-2xx)',
  })
  @ApiHeader({ name: 'X-Phase-Token', required: true, description: 'Phase token of the held task' })
  @ApiOkResponse({ type: PreToolUseOutputDto })
  preToolUse(
    // A plain object: the hook JSON carries fields (session_id, transcript_path…) no DTO should whitelist away.
    @Body() body: Record<string, unknown>,
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
    @Headers('x-phase-token') phaseToken?: string,
  ): Promise<PreToolUseOutput> {
    return this.hooks.preToolUse(agent, phaseToken, body, scope);
  }
}
