import { ApiProperty } from '@nestjs/swagger';
import type { StoredEvent } from '../store/event-store.js';

export class EventResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 42 }) position!: number;
  @ApiProperty() streamId!: string;
  @ApiProperty({ example: 'Account' }) streamType!: string;
  @ApiProperty({ example: 2 }) version!: number;
  @ApiProperty({ example: 'MoneyDeposited' }) type!: string;
  @ApiProperty({ example: 1 }) schemaVersion!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { amount: 100 } }) data!: Record<string, unknown>;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { correlationId: '0192...', causationId: '0192...' },
  })
  metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) recordedAt!: string;

  static of(event: StoredEvent): EventResponse {
    return { ...event, recordedAt: event.recordedAt.toISOString() };
  }
}

export class EventPage {
  @ApiProperty({ type: [EventResponse] }) items!: EventResponse[];
}
