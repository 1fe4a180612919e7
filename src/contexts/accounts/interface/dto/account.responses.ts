import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE_ID, CommandResponse } from '#event-sourcing/http';
import type { Account, AccountStatus } from '../../domain/account.aggregate.js';

export class BalanceResponse extends CommandResponse {
  @ApiProperty({ type: 'integer', example: 7500, description: 'The balance after the command, in minor units' })
  balance!: number;
}

export class AccountResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID }) id!: string;
  @ApiProperty({ example: 'Ada Lovelace', description: '"[erased]" once the personal data is erased' }) owner!: string;
  @ApiProperty({ example: 'EUR', description: 'ISO 4217 code' }) currency!: string;
  @ApiProperty({
    type: 'integer',
    example: 7500,
    description: 'Minor units (cents); below 0 within the overdraft limit',
  })
  balance!: number;
  @ApiProperty({ type: 'integer', example: 500 }) overdraftLimit!: number;
  @ApiProperty({ enum: ['open', 'closed'], example: 'open' }) status!: AccountStatus;
  @ApiProperty({ type: 'integer', example: 3, description: 'The version of the last event applied (also the ETag)' })
  version!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:02.190Z' }) openedAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:02.310Z' }) updatedAt!: string;

  static of(account: Account): AccountResponse {
    return {
      id: account.id,
      owner: account.owner,
      currency: account.currency,
      balance: account.balance,
      overdraftLimit: account.overdraftLimit,
      status: account.status,
      version: account.version,
      openedAt: account.createdAt!.toISOString(),
      updatedAt: account.updatedAt!.toISOString(),
    };
  }
}
