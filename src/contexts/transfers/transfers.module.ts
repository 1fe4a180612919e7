import { Module } from '@nestjs/common';
import { EventSourcingModule } from '#event-sourcing';
import { GetTransferHandler } from './application/get-transfer/get-transfer.handler.js';
import { RequestTransferHandler } from './application/request-transfer/request-transfer.handler.js';
import { TransferProcessManager } from './application/transfer-process/transfer.process-manager.js';
import { Transfer } from './domain/transfer.aggregate.js';
import { TransfersController } from './interface/transfers.controller.js';

/** The transfers bounded context: money between two accounts, moved by a process manager over the log. */
@Module({
  imports: [EventSourcingModule.forFeature([Transfer])],
  controllers: [TransfersController],
  providers: [RequestTransferHandler, GetTransferHandler, TransferProcessManager],
})
export class TransfersModule {}
