import { ApiProperty } from '@nestjs/swagger';
import type { StoredEvent } from '../store/event-store.js';
import { EXAMPLE_ID } from './api-examples.js';

export class EventResponse {
  @ApiProperty({ format: 'uuid', example: '01a21d09-a99f-757d-acce-52fc932153de' }) id!: string;
  @ApiProperty({ type: 'integer', example: 2, description: 'Its place in the log of every event' }) position!: number;
  @ApiProperty({ example: EXAMPLE_ID, description: 'The id of the aggregate it belongs to' }) streamId!: string;
  @ApiProperty({ example: 'Account' }) streamType!: string;
  @ApiProperty({ type: 'integer', example: 2, description: 'Its place in its stream' }) version!: number;
  @ApiProperty({ example: 'MoneyDeposited' }) type!: string;
  @ApiProperty({ type: 'integer', example: 1, description: 'The shape of `data`, upcast to the current one' })
  schemaVersion!: number;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { amount: 10000 } }) data!: Record<
    string,
    unknown
  >;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'correlationId and causationId always; idempotencyKey and actorId when the command had them',
    example: {
      causationId: '01a21d09-a995-7328-84e8-e28947850506',
      correlationId: '01a21d09-a992-72ca-8e3f-50a77a095acc',
      idempotencyKey: 'salary-2026-11',
    },
  })
  metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:02.240Z' }) recordedAt!: string;

  static of(event: StoredEvent): EventResponse {
    return { ...event, recordedAt: event.recordedAt.toISOString() };
  }
}

export class EventPage {
  @ApiProperty({ type: [EventResponse] }) items!: EventResponse[];
}
