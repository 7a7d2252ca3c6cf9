import { Controller, Get, Headers, Logger, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { Roles } from '../auth/auth.decorators.js';
import { NoRequestTimeout } from '../common/http/request-timeout.js';
import { AppConfig } from '../config/app-config.js';
import { ACCESS_TOKEN_SCHEME } from '../server/swagger.js';
import { EventQueryDto } from './dto/event-query.dto.js';
import { EventListDto, StreamResyncDto } from './dto/event.dto.js';
import { parseLastEventId } from './dto/last-event-id.js';
import { EventBus } from './event-bus.js';
import { streamEvents } from './sse-stream.js';

@ApiTags('events')
@ApiExtraModels(StreamResyncDto)
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
  @ApiConflictResponse({
    description:
      '`events_resync_required`: `after` is older than the events kept, or was never issued; the body adds `reason` (`expired` | `unknown_id`), `after`, `oldest_id` and `head_id`. Re-read the state you follow, then continue with `after=head_id`',
  })
  list(@Query() query: EventQueryDto): EventListDto {
    return this.events.page(query);
  }

  @Get('stream')
  @NoRequestTimeout()
  @ApiOperation({
    summary:
      'Server-Sent Events; resumes after Last-Event-ID (or `after`), or sends `stream.resync` when it cannot; a comment heartbeat every 15 s; a client that does not read is dropped past event.sse_max_buffered_kb',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'An event stream: `id`, `event` (the type) and `data` (the event as JSON). When the cursor (`Last-Event-ID`, else `after`) is older than the events kept (past `event.max_history`, or lost at a restart) or was never issued by this server, the first event is `event: stream.resync` with `id` = the head and `data` a `StreamResyncDto`; re-read the state you follow, the stream goes on after the head. Also sent when a slow client falls behind what is kept.',
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: `data of stream.resync: ${getSchemaPath(StreamResyncDto)}` },
      },
    },
  })
  @ApiBadRequestResponse({ description: '`invalid_last_event_id`: Last-Event-ID is not an event id' })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description:
      'Replay events after this id first (takes precedence over `after`); `0` replays everything kept. An id older than what is kept, or one this server never issued, gets `stream.resync`',
  })
  stream(
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Query() query: EventQueryDto,
    @Headers('last-event-id') lastEventId?: string,
  ): void {
    const resumeAfter = parseLastEventId(lastEventId);
    const maxBufferedBytes = this.config.values.event.sse_max_buffered_kb * 1024;
    streamEvents(
      this.events,
      request,
      reply,
      { ...query, after: resumeAfter ?? query.after },
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
