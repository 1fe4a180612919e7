import { ApiProperty, IntersectionType } from '@nestjs/swagger';
import { ProjectionReadQuery, StreamEventsQuery } from '#event-sourcing/http';
import type { StatementLineView } from '../../application/account-statements/get-statement.query.js';

export class StatementQueryDto extends IntersectionType(StreamEventsQuery, ProjectionReadQuery) {}

export class StatementLineResponse {
  @ApiProperty({ type: 'integer', example: 3, description: "The account's version after this movement" })
  version!: number;
  @ApiProperty({ type: 'integer', example: 5, description: 'The log position of its event' }) position!: number;
  @ApiProperty({ enum: ['deposit', 'withdrawal', 'transfer-out', 'transfer-in', 'refund'], example: 'transfer-out' })
  kind!: string;
  @ApiProperty({ type: 'integer', description: 'Signed: what the movement added to the balance', example: -2500 })
  amount!: number;
  @ApiProperty({ type: 'integer', example: 7500 }) balanceAfter!: number;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '01a21d09-f9dc-70b9-aefe-f51947c06c9c',
    description: 'The transfer that moved the money; null for deposits and withdrawals',
  })
  transferId!: string | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:22.807Z' }) recordedAt!: string;

  static of(line: StatementLineView): StatementLineResponse {
    const { accountId: _, ...rest } = line;
    return { ...rest, recordedAt: line.recordedAt.toISOString() };
  }
}

export class StatementResponse {
  @ApiProperty({ type: [StatementLineResponse] }) items!: StatementLineResponse[];
}
