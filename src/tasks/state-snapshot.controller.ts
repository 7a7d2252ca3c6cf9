import { Controller, Get, Headers, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Principal, Roles } from '../auth/auth.decorators.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { StateSnapshotDto } from './dto/agent-responses.dto.js';
import { StateSnapshotService } from './state-snapshot.service.js';
import { InRequest, type RequestScope } from '../common/http/request-scope.js';

@ApiTags('agent')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@Roles('agent')
@Controller('api/v1/state')
export class StateSnapshotController {
  constructor(private readonly snapshots: StateSnapshotService) {}

  @Get('snapshot')
  @ApiOperation({ summary: 'The held task’s phase, tools, artifacts, next transitions and dependencies' })
  @ApiHeader({ name: 'X-Phase-Token', required: false, description: 'Phase token (preferred)' })
  @ApiQuery({
    name: 'phase_token',
    required: false,
    description: 'Phase token (compatibility; redacted from logs)',
  })
  @ApiOkResponse({ type: StateSnapshotDto })
  snapshot(
    @Principal() agent: AccessClaims,
    @InRequest() scope: RequestScope | null,
    @Headers('x-phase-token') headerToken?: string,
    @Query('phase_token') queryToken?: string,
  ): Promise<StateSnapshotDto> {
    return this.snapshots.snapshot(
      agent,
      headerToken ?? (typeof queryToken === 'string' ? queryToken : undefined),
      scope,
    );
  }
}
