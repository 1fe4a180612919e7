import { Module } from '@nestjs/common';
import { EventSourcingModule } from '#event-sourcing';
import { CompleteTransferHandler } from './application/complete-transfer/complete-transfer.handler.js';
import { FailTransferHandler } from './application/fail-transfer/fail-transfer.handler.js';
import { GetTransferHandler } from './application/get-transfer/get-transfer.handler.js';
import { MarkTransferDebitedHandler } from './application/mark-transfer-debited/mark-transfer-debited.handler.js';
import { RequestTransferHandler } from './application/request-transfer/request-transfer.handler.js';
import { TransferProcessManager } from './application/transfer-process/transfer.process-manager.js';
import { Transfer } from './domain/transfer.aggregate.js';
import { TransfersController } from './interface/transfers.controller.js';

/** The transfers bounded context: money between two accounts, moved by a process manager over the log. */
@Module({
  imports: [EventSourcingModule.forFeature([Transfer])],
  controllers: [TransfersController],
  providers: [
    RequestTransferHandler,
    MarkTransferDebitedHandler,
    CompleteTransferHandler,
    FailTransferHandler,
    GetTransferHandler,
    TransferProcessManager,
  ],
})
export class TransfersModule {}
