import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CommandContext } from '#event-sourcing';
import {
  RequestCommandContext,
  ApiCommand,
  responseHeaders,
  ApiProblemResponses,
  PROBLEMS,
  AnswersWithVersion,
  OwnedStreams,
} from '#event-sourcing/http';
import { ACCOUNT_STREAM_TYPE } from '../../accounts/accounts.contract.js';
import { GetTransfer } from '../application/get-transfer/get-transfer.query.js';
import { RequestTransfer } from '../application/request-transfer/request-transfer.command.js';
import { Transfer } from '../domain/transfer.aggregate.js';
import { RequestTransferDto } from './dto/request-transfer.dto.js';
import { TransferIdParams } from './dto/transfer-id.params.js';
import { TransferAcceptedResponse, TransferResponse } from './dto/transfer.responses.js';
import { TRANSFER_PROBLEMS } from './transfer.problems.js';

@ApiTags('transfers')
@ApiProblemResponses(PROBLEMS.databaseUnavailable, PROBLEMS.databaseBusy)
@OwnedStreams(Transfer.streamType)
@Controller('transfers')
export class TransfersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  /** Accepts a transfer; it completes or fails shortly after, as GET /transfers/{id} shows. */
  @Post()
  @ApiOperation({
    operationId: 'requestTransfer',
    summary: 'Move money from one account to another',
    description:
      'Accepted at once when both accounts hold the same currency; a process manager then pays out from the source and in to the destination. Poll `GET /transfers/{id}` (its URL is in Location) until `status` is `completed` or `failed`: a failure moves no money.',
  })
  @ApiCommand({
    status: 202,
    type: TransferAcceptedResponse,
    description: 'Requested; follow Location for its outcome',
    refusals: [TRANSFER_PROBLEMS.sameAccount, TRANSFER_PROBLEMS.currencyMismatch],
  })
  @ApiProblemResponses(TRANSFER_PROBLEMS.sourceNotFound)
  // Only the owner of the source may pay out of it; the destination may be anyone's.
  @OwnedStreams(ACCOUNT_STREAM_TYPE, { body: 'fromAccountId' })
  request(@Body() body: RequestTransferDto, @RequestCommandContext() context: CommandContext) {
    return this.commands.execute(new RequestTransfer(body.fromAccountId, body.toAccountId, body.amount, context));
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getTransfer', summary: 'Read a transfer and how far it got' })
  @ApiOkResponse({ type: TransferResponse, headers: responseHeaders('ETag') })
  @AnswersWithVersion()
  @ApiProblemResponses(PROBLEMS.invalidRequest, TRANSFER_PROBLEMS.notFound)
  async get(@Param() { id }: TransferIdParams): Promise<TransferResponse> {
    const transfer = await this.queries.execute<GetTransfer, Transfer>(new GetTransfer(id));
    return TransferResponse.of(transfer);
  }
}
