import { Controller, Get, Headers, Logger, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { Roles } from '../auth/auth.decorators.js';
import { NoRequestTimeout } from '../common/http/request-timeout.js';
import { AppConfig } from '../config/app-config.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { EventQueryDto } from './dto/event-query.dto.js';
import { EventListDto } from './dto/event.dto.js';
import { EventBus } from './event-bus.js';
import { streamEvents } from './sse-stream.js';

@ApiTags('events')
@ApiBearerAuth(ACCESS_TOKEN_SCHEME)
@Roles('operator')
@Controller('api/v1/events')
export class EventsController {
  private readonly logger = new Logger(EventsController.name);

  constructor(
    private readonly events: EventBus,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Recent events, oldest first, filtered by type, task and id' })
  @ApiOkResponse({ type: EventListDto })
  list(@Query() query: EventQueryDto): EventListDto {
    const events = this.events.list(query);
    return { events, last_id: events.at(-1)?.id ?? query.after ?? 0 };
  }

  @Get('stream')
  @NoRequestTimeout()
  @ApiOperation({
    summary:
      'Server-Sent Events; resumes after Last-Event-ID; a comment heartbeat every 15 s; a client that does not read is dropped past event.sse_max_buffered_kb',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'An event stream: `id`, `event` (the type) and `data` (the event as JSON)',
    schema: { type: 'string' },
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Replay events after this id first' })
  stream(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query() query: EventQueryDto,
    @Headers('last-event-id') lastEventId?: string,
  ): void {
    const resumeAfter = Number.parseInt(lastEventId ?? '', 10);
    const maxBufferedBytes = this.config.values.event.sse_max_buffered_kb * 1024;
    streamEvents(
      this.events,
      request,
      reply,
      { ...query, after: Number.isFinite(resumeAfter) && resumeAfter >= 0 ? resumeAfter : query.after },
      {
        maxBufferedBytes,
        onDrop: (lastSent, buffered) =>
          this.logger.warn(
            `dropped a slow event stream (request ${request.id}): ${buffered} bytes unread, over event.sse_max_buffered_kb; it resumes after id ${lastSent} with Last-Event-ID`,
          ),
      },
    );
  }
}
