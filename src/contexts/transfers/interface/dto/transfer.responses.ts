import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CommandResponse } from '#event-sourcing/http';
import type { Transfer, TransferStatus } from '../../domain/transfer.aggregate.js';

const STATUSES: TransferStatus[] = ['requested', 'debited', 'completed', 'failed'];

const TRANSFER_ID = '01a21d09-f9dc-70b9-aefe-f51947c06c9c';

export class TransferAcceptedResponse extends CommandResponse {
  @ApiProperty({ enum: STATUSES, example: 'requested' }) status!: TransferStatus;
}

export class TransferResponse {
  @ApiProperty({ format: 'uuid', example: TRANSFER_ID }) id!: string;
  @ApiProperty({ format: 'uuid', example: '01a21d09-f92f-759d-8485-28dcaacf71ba' }) fromAccountId!: string;
  @ApiProperty({ format: 'uuid', example: '01a21d09-f969-7162-ab9d-dc34025745b6' }) toAccountId!: string;
  @ApiProperty({ type: 'integer', example: 2500 }) amount!: number;
  @ApiProperty({
    enum: STATUSES,
    example: 'completed',
    description: 'requested, then debited, then completed; or failed, with a reason',
  })
  status!: TransferStatus;
  @ApiPropertyOptional({
    example: 'insufficient_funds',
    description:
      'Only when failed: insufficient_funds, account_closed, account_not_found or balance_limit_exceeded (the source was refunded if it was debited)',
  })
  reason?: string;
  @ApiProperty({ type: 'integer', example: 3 }) version!: number;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:22.782Z' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:22.863Z' }) updatedAt!: string;

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
