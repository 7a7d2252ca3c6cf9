import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { AuditStore } from './audit.store.js';
import { auditEntryView, auditPageView, auditStatsView } from './audit-views.js';
import { type AuditVerifyReport } from './domain/audit-verify.js';
import {
  AuditCountsDto,
  AuditEntryDto,
  AuditPageDto,
  AuditQueryDto,
  AuditRecentQueryDto,
  AuditStatsDto,
  AuditStatsQueryDto,
  AuditVerifyDto,
} from './dto/audit.dto.js';

@ApiTags('audit')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@Roles('operator')
@ApiExtraModels(AuditCountsDto)
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditStore) {}

  @Get('query')
  @ApiOperation({ summary: 'Audit entries, newest first, across rotated files; filtered and paginated' })
  @ApiOkResponse({ type: AuditPageDto })
  async query(@Query() query: AuditQueryDto): Promise<AuditPageDto> {
    return auditPageView(await this.audit.query(query));
  }

  @Get('recent')
  @ApiOperation({ summary: 'The latest entries, newest first' })
  @ApiOkResponse({ type: [AuditEntryDto] })
  async recent(@Query() query: AuditRecentQueryDto): Promise<AuditEntryDto[]> {
    return (await this.audit.recent(query.count)).map(auditEntryView);
  }

  @Get('stats')
  @ApiOperation({ summary: 'Totals, success rate, and counts by tool, phase, decision and action' })
  @ApiOkResponse({ type: AuditStatsDto })
  async stats(@Query() query: AuditStatsQueryDto): Promise<AuditStatsDto> {
    return auditStatsView(await this.audit.stats(query));
  }

  @Get('verify')
  @ApiOperation({ summary: 'Walk the hash chain over every retained file; report the first break' })
  @ApiOkResponse({ type: AuditVerifyDto })
  verify(): Promise<AuditVerifyReport> {
    return this.audit.verify();
  }
}
