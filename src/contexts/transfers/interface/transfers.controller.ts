import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { CommandContext, CommandOutcome } from '../../../event-sourcing/application/command-context.js';
import { RequestCommandContext } from '../../../event-sourcing/http/command-context.decorator.js';
import { commandResponse } from '../../../event-sourcing/http/command-response.js';
import { ProblemDetails } from '../../../event-sourcing/http/problem-details.js';
import { GetTransfer } from '../application/get-transfer/get-transfer.query.js';
import { RequestTransfer } from '../application/request-transfer/request-transfer.command.js';
import type { Transfer, TransferStatus } from '../domain/transfer.aggregate.js';
import { RequestTransferDto } from './dto/request-transfer.dto.js';
import { TransferIdParams } from './dto/transfer-id.params.js';
import { TransferAcceptedResponse, TransferResponse } from './dto/transfer.responses.js';

@ApiTags('transfers')
@Controller('transfers')
export class TransfersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  /** Accepts a transfer; it completes or fails shortly after, as GET /transfers/{id} shows. */
  @Post()
  @HttpCode(202)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'A repeat with the same key and body requests nothing new and gets the first answer',
  })
  @ApiAcceptedResponse({ type: TransferAcceptedResponse, description: 'Requested; follow Location for its outcome' })
  @ApiBadRequestResponse({ type: ProblemDetails })
  @ApiUnprocessableEntityResponse({
    type: ProblemDetails,
    description: 'A transfer to the same account, or an Idempotency-Key reused with another body',
  })
  async request(
    @Body() body: RequestTransferDto,
    @RequestCommandContext() context: CommandContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransferAcceptedResponse> {
    const outcome = await this.commands.execute<RequestTransfer, CommandOutcome<{ status: TransferStatus }>>(
      new RequestTransfer(body.fromAccountId, body.toAccountId, body.amount, context),
    );
    response.location(`/transfers/${outcome.id}`);
    return commandResponse(response, outcome);
  }

  @Get(':id')
  @ApiOkResponse({ type: TransferResponse })
  @ApiBadRequestResponse({ type: ProblemDetails })
  @ApiNotFoundResponse({ type: ProblemDetails })
  async get(
    @Param() { id }: TransferIdParams,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransferResponse> {
    const transfer = await this.queries.execute<GetTransfer, Transfer>(new GetTransfer(id));
    response.setHeader('ETag', `"${transfer.version}"`);
    return TransferResponse.of(transfer);
  }
}
