import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Transfer, TransferStatus } from '../../domain/transfer.aggregate.js';

const STATUSES: TransferStatus[] = ['requested', 'debited', 'completed', 'failed'];

export class TransferAcceptedResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: STATUSES, example: 'requested' }) status!: TransferStatus;
  @ApiProperty({ example: 1, description: "The transfer's version after the command" }) version!: number;
  @ApiProperty({ example: 42, description: 'Global position of the last event appended' }) position!: number;
}

export class TransferResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) fromAccountId!: string;
  @ApiProperty({ format: 'uuid' }) toAccountId!: string;
  @ApiProperty({ example: 2500 }) amount!: number;
  @ApiProperty({ enum: STATUSES }) status!: TransferStatus;
  @ApiPropertyOptional({
    example: 'insufficient_funds',
    description: 'Why a failed transfer failed: insufficient_funds, account_closed or account_not_found',
  })
  reason?: string;
  @ApiProperty({ example: 4 }) version!: number;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static of(transfer: Transfer): TransferResponse {
    return {
      id: transfer.id,
      fromAccountId: transfer.fromAccountId,
      toAccountId: transfer.toAccountId,
      amount: transfer.amount,
      status: transfer.status,
      ...(transfer.reason === undefined ? {} : { reason: transfer.reason }),
      version: transfer.version,
      requestedAt: transfer.createdAt!.toISOString(),
      updatedAt: transfer.updatedAt!.toISOString(),
    };
  }
}
