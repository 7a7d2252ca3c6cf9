import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPES } from '../domain/event.model.js';

export class EventDto {
  @ApiProperty() id!: number;
  @ApiProperty({ enum: EVENT_TYPES }) type!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiPropertyOptional() task_id?: string;
  @ApiPropertyOptional() actor?: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
}

export class EventListDto {
  @ApiProperty({ type: [EventDto] }) events!: EventDto[];
  @ApiProperty({
    description:
      'Pass as `after` to get the next page: the last event of a full page, else the newest id issued',
  })
  last_id!: number;
}

/** `data` of the `stream.resync` SSE event. */
export class StreamResyncDto {
  @ApiProperty({ enum: ['stream.resync'] }) type!: string;
  @ApiProperty({
    enum: ['expired', 'unknown_id'],
    description:
      '`expired`: events after the cursor are no longer kept; `unknown_id`: this server never issued it',
  })
  reason!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ description: 'The cursor the client sent' }) last_event_id!: number;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The oldest event kept' })
  oldest_id!: number | null;
  @ApiProperty({ description: 'The newest id issued; the stream goes on after it' }) head_id!: number;
}
