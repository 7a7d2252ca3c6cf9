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
  @ApiProperty({ description: 'Pass as `after` to get the next page' }) last_id!: number;
}
