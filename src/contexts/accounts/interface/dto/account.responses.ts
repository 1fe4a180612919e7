import { ApiProperty } from '@nestjs/swagger';
import type { Account, AccountStatus } from '../../domain/account.aggregate.js';

export class CommandResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 1, description: "The aggregate's version after the command" }) version!: number;
  @ApiProperty({ example: 42, description: 'Global position of the last event appended' }) position!: number;
}

export class BalanceResponse extends CommandResponse {
  @ApiProperty({ example: 2500 }) balance!: number;
}

export class AccountResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() owner!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ example: 2500 }) balance!: number;
  @ApiProperty({ example: 0 }) overdraftLimit!: number;
  @ApiProperty({ enum: ['open', 'closed'] }) status!: AccountStatus;
  @ApiProperty({ example: 3 }) version!: number;
  @ApiProperty({ format: 'date-time' }) openedAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

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
