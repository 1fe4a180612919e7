import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { ProjectionReadQuery } from '../../../../event-sourcing/http/projection-read.js';
import type { StatementLine } from '../../infrastructure/account-statements/statement-line.entity.js';
import { AccountEventsQueryDto } from './account-events.query.dto.js';

export class StatementQueryDto extends IntersectionType(AccountEventsQueryDto, ProjectionReadQuery) {}

export class StatementLineResponse {
  @ApiProperty({ description: "The account's version after this movement" }) version!: number;
  @ApiProperty() position!: number;
  @ApiProperty({ enum: ['deposit', 'withdrawal', 'transfer-out', 'transfer-in', 'refund'] }) kind!: string;
  @ApiProperty({ description: 'Signed: what the movement added to the balance', example: -2500 }) amount!: number;
  @ApiProperty({ example: 7500 }) balanceAfter!: number;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) transferId!: string | null;
  @ApiProperty({ format: 'date-time' }) recordedAt!: string;

  static of(line: StatementLine): StatementLineResponse {
    const { accountId: _, ...rest } = line;
    return { ...rest, recordedAt: line.recordedAt.toISOString() };
  }
}

export class StatementResponse {
  @ApiProperty({ type: [StatementLineResponse] }) items!: StatementLineResponse[];
}
