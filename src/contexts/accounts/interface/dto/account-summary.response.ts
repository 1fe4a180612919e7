import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE_ID } from '#event-sourcing/http';
import type { AccountSummaryView } from '../../application/account-summaries/list-accounts.query.js';

export class AccountSummaryResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID }) id!: string;
  @ApiProperty({ example: 'Ada Lovelace' }) owner!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ type: 'integer', example: 7500 }) balance!: number;
  @ApiProperty({ type: 'integer', example: 500 }) overdraftLimit!: number;
  @ApiProperty({ enum: ['open', 'closed'], example: 'open' }) status!: string;
  @ApiProperty({ type: 'integer', example: 3 }) version!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:02.190Z' }) openedAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:02.310Z' }) updatedAt!: string;

  static of(summary: AccountSummaryView): AccountSummaryResponse {
    return { ...summary, openedAt: summary.openedAt.toISOString(), updatedAt: summary.updatedAt.toISOString() };
  }
}

export class AccountListResponse {
  @ApiProperty({ type: [AccountSummaryResponse] }) items!: AccountSummaryResponse[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'MDFhMjFkMDktYTk2Mi03N2QwLTk1OWMtMjEyZWI4MTU0ZTMw',
    description: 'Pass as cursor for the next page; null on the last',
  })
  nextCursor!: string | null;
}
