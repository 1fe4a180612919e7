import { ApiProperty } from '@nestjs/swagger';
import type { AccountSummary } from '../../infrastructure/account-summaries/account-summary.entity.js';

export class AccountSummaryResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() owner!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ example: 2500 }) balance!: number;
  @ApiProperty({ example: 0 }) overdraftLimit!: number;
  @ApiProperty({ enum: ['open', 'closed'] }) status!: string;
  @ApiProperty({ example: 3 }) version!: number;
  @ApiProperty({ format: 'date-time' }) openedAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static of(summary: AccountSummary): AccountSummaryResponse {
    return { ...summary, openedAt: summary.openedAt.toISOString(), updatedAt: summary.updatedAt.toISOString() };
  }
}

export class AccountListResponse {
  @ApiProperty({ type: [AccountSummaryResponse] }) items!: AccountSummaryResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}
