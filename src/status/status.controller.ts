import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/auth.decorators.js';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { StatusDto } from './dto/status.dto.js';
import { StatusService } from './status.service.js';

@ApiTags('service')
@Public()
@Controller()
export class StatusController {
  constructor(private readonly status: StatusService) {}

  @Get()
  @ApiOperation({ summary: 'Service status: version, instance, uptime, config file, backend' })
  @ApiOkResponse({ type: StatusDto })
  get(): Promise<StatusDto> {
    return this.status.status();
  }
}
