import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { CommandContext, StoredEvent } from '#event-sourcing';
import {
  RequestCommandContext,
  ApiCommand,
  responseHeaders,
  ApiProblemResponses,
  CommandResponse,
  ApiNoBody,
  NoBody,
  EventPage,
  EventResponse,
  RequestValidationError,
  PROBLEMS,
  ReadsView,
  AnswersWithVersion,
  OperatorsOnly,
  OwnedStreams,
  OwnerScope,
  ReadsLog,
} from '#event-sourcing/http';
import { AccountEventsQueryDto, AccountQueryDto } from './dto/account-read.query.dto.js';
import { StatementLineResponse, StatementQueryDto, StatementResponse } from './dto/statement.dto.js';
import { AccountListResponse, AccountSummaryResponse } from './dto/account-summary.response.js';
import { ListAccountsQueryDto } from './dto/list-accounts.query.dto.js';
import { CloseAccount } from '../application/close-account/close-account.command.js';
import {
  ACCOUNT_STATEMENTS,
  GetStatement,
  type StatementLineView,
} from '../application/account-statements/get-statement.query.js';
import {
  ACCOUNT_SUMMARIES,
  ListAccounts,
  type AccountPage,
} from '../application/account-summaries/list-accounts.query.js';
import { DepositMoney } from '../application/deposit-money/deposit-money.command.js';
import { ErasePersonalData } from '../application/erase-personal-data/erase-personal-data.command.js';
import { GetAccountEvents } from '../application/get-account-events/get-account-events.query.js';
import { GetAccount } from '../application/get-account/get-account.query.js';
import { OpenAccount } from '../application/open-account/open-account.command.js';
import { WithdrawMoney } from '../application/withdraw-money/withdraw-money.command.js';
import { Account } from '../domain/account.aggregate.js';
import { ACCOUNT_PROBLEMS } from './account.problems.js';
import { AccountIdParams } from './dto/account-id.params.js';
import { AccountResponse, BalanceResponse } from './dto/account.responses.js';
import { MoneyAmountDto } from './dto/money-amount.dto.js';
import { OpenAccountDto } from './dto/open-account.dto.js';

@ApiTags('accounts')
@ApiProblemResponses(PROBLEMS.databaseUnavailable, PROBLEMS.databaseBusy)
@OwnedStreams(Account.streamType)
@Controller('accounts')
export class AccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Get()
  @ApiOperation({
    operationId: 'listAccounts',
    summary: 'List accounts, from a view',
    description: 'Pages by `nextCursor`. Pass the `position` a command returned as `minPosition` to see its effect.',
  })
  @ApiOkResponse({
    type: AccountListResponse,
    headers: responseHeaders('X-Projection-Position', 'X-Projection-Stale', 'X-Read-Source'),
  })
  @ReadsView(ACCOUNT_SUMMARIES)
  @ApiProblemResponses(PROBLEMS.invalidRequest)
  async list(
    @Query() query: ListAccountsQueryDto,
    @OwnerScope() openedBy: string | undefined,
  ): Promise<AccountListResponse> {
    const after = query.cursor === undefined ? undefined : Buffer.from(query.cursor, 'base64url').toString();
    if (after !== undefined && !isUUID(after)) {
      throw new RequestValidationError([{ field: 'cursor', message: 'cursor must be a nextCursor this API returned' }]);
    }
    const page = await this.queries.execute<ListAccounts, AccountPage>(
      new ListAccounts(query.limit, after, query.owner, openedBy),
    );
    const last = page.items.at(-1);
    return {
      items: page.items.map(AccountSummaryResponse.of),
      nextCursor: page.more && last ? Buffer.from(last.id).toString('base64url') : null,
    };
  }

  @Post()
  @ApiOperation({ operationId: 'openAccount', summary: 'Open an account' })
  @ApiCommand({ status: 201, type: CommandResponse, description: 'Opened, at version 1' })
  open(@Body() body: OpenAccountDto, @RequestCommandContext() context: CommandContext) {
    return this.commands.execute(new OpenAccount(body.owner, body.currency, body.overdraftLimit, context));
  }

  @Post(':id/deposits')
  @ApiOperation({ operationId: 'depositMoney', summary: 'Deposit money' })
  @ApiCommand({
    status: 200,
    type: BalanceResponse,
    notFound: ACCOUNT_PROBLEMS.notFound,
    refusals: [ACCOUNT_PROBLEMS.closed, ACCOUNT_PROBLEMS.balanceLimitExceeded],
  })
  deposit(
    @Param() { id }: AccountIdParams,
    @Body() body: MoneyAmountDto,
    @RequestCommandContext() context: CommandContext,
  ) {
    return this.commands.execute(new DepositMoney(id, body.amount, context));
  }

  @Post(':id/withdrawals')
  @ApiOperation({ operationId: 'withdrawMoney', summary: 'Withdraw money, down to minus the overdraft limit' })
  @ApiCommand({
    status: 200,
    type: BalanceResponse,
    notFound: ACCOUNT_PROBLEMS.notFound,
    refusals: [ACCOUNT_PROBLEMS.insufficientFunds, ACCOUNT_PROBLEMS.closed],
  })
  withdraw(
    @Param() { id }: AccountIdParams,
    @Body() body: MoneyAmountDto,
    @RequestCommandContext() context: CommandContext,
  ) {
    return this.commands.execute(new WithdrawMoney(id, body.amount, context));
  }

  @Post(':id/close')
  @ApiOperation({
    operationId: 'closeAccount',
    summary: 'Close an account with a balance of 0',
    description: 'Refused while a transfer it sent is in flight: were it to fail, its refund would have nowhere to go.',
  })
  @ApiCommand({
    status: 200,
    type: CommandResponse,
    notFound: ACCOUNT_PROBLEMS.notFound,
    refusals: [ACCOUNT_PROBLEMS.balanceNotZero, ACCOUNT_PROBLEMS.transferInFlight, ACCOUNT_PROBLEMS.closed],
  })
  @ApiNoBody()
  close(@Param() { id }: AccountIdParams, @Body() _body: NoBody, @RequestCommandContext() context: CommandContext) {
    return this.commands.execute(new CloseAccount(id, context));
  }

  @Delete(':id/personal-data')
  @OperatorsOnly()
  @ApiCommand({ status: 200, type: CommandResponse, notFound: ACCOUNT_PROBLEMS.notFound })
  @ApiNoBody()
  @ApiOperation({
    operationId: 'erasePersonalData',
    summary: "Erase the owner's personal data",
    description:
      'Destroys the account\'s key for personal data: the owner\'s name reads as "[erased]" in its events, snapshots and views from now on; balances and history stay. Repeating it changes nothing.',
  })
  erasePersonalData(
    @Param() { id }: AccountIdParams,
    @Body() _body: NoBody,
    @RequestCommandContext() context: CommandContext,
  ) {
    return this.commands.execute(new ErasePersonalData(id, context));
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getAccount',
    summary: 'Read an account, now or at a point in its past',
    description:
      'Replays its events: on the primary it reflects every command acknowledged before the request (read-your-writes); a read replica may lag, unless `minPosition` names the position of your last command. `version` or `asOf` travel back in time.',
  })
  @ApiOkResponse({ type: AccountResponse, headers: responseHeaders('ETag', 'X-Read-Source') })
  @ReadsLog()
  @AnswersWithVersion()
  @ApiProblemResponses(PROBLEMS.invalidRequest, ACCOUNT_PROBLEMS.notFoundThen)
  async get(@Param() { id }: AccountIdParams, @Query() query: AccountQueryDto): Promise<AccountResponse> {
    const at = { version: query.version, asOf: query.asOf === undefined ? undefined : new Date(query.asOf) };
    const account = await this.queries.execute<GetAccount, Account>(new GetAccount(id, at));
    return AccountResponse.of(account);
  }

  @Get(':id/statement')
  @ApiOperation({ operationId: 'getAccountStatement', summary: "An account's movements, from a view" })
  @ApiOkResponse({
    type: StatementResponse,
    headers: responseHeaders('X-Projection-Position', 'X-Projection-Stale', 'X-Read-Source'),
  })
  @ReadsView(ACCOUNT_STATEMENTS)
  @ApiProblemResponses(PROBLEMS.invalidRequest, ACCOUNT_PROBLEMS.notFound)
  async statement(@Param() { id }: AccountIdParams, @Query() query: StatementQueryDto): Promise<StatementResponse> {
    const lines = await this.queries.execute<GetStatement, StatementLineView[]>(
      new GetStatement(id, query.fromVersion, query.limit),
    );
    return { items: lines.map(StatementLineResponse.of) };
  }

  @Get(':id/events')
  @ApiOperation({ operationId: 'getAccountEvents', summary: "An account's events, in version order" })
  @ApiOkResponse({ type: EventPage, headers: responseHeaders('X-Read-Source') })
  @ReadsLog()
  @ApiProblemResponses(PROBLEMS.invalidRequest, ACCOUNT_PROBLEMS.notFound)
  async events(@Param() { id }: AccountIdParams, @Query() query: AccountEventsQueryDto): Promise<EventPage> {
    const events = await this.queries.execute<GetAccountEvents, StoredEvent[]>(
      new GetAccountEvents(id, query.fromVersion, query.limit),
    );
    return { items: events.map(EventResponse.of) };
  }
}
