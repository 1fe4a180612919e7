import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  type Type,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { Response } from 'express';
import { Roles } from '../../../auth/roles.decorator.js';
import type { CommandContext, CommandOutcome } from '../../../event-sourcing/application/command-context.js';
import { RequestCommandContext } from '../../../event-sourcing/http/command-context.decorator.js';
import { commandResponse } from '../../../event-sourcing/http/command-response.js';
import { NoBody } from '../../../event-sourcing/http/no-body.dto.js';
import { EventPage, EventResponse } from '../../../event-sourcing/http/event.response.js';
import { ProblemDetails, RequestValidationError } from '../../../event-sourcing/http/problem-details.js';
import { beforeProjectionRead } from '../../../event-sourcing/http/projection-read.js';
import { FollowersService } from '../../../event-sourcing/subscriptions/followers.service.js';
import { ACCOUNT_STATEMENTS } from '../infrastructure/account-statements/account-statements.projection.js';
import { GetStatement } from '../infrastructure/account-statements/get-statement.query.js';
import type { StatementLine } from '../infrastructure/account-statements/statement-line.entity.js';
import { StatementLineResponse, StatementQueryDto, StatementResponse } from './dto/statement.dto.js';
import { ACCOUNT_SUMMARIES } from '../infrastructure/account-summaries/account-summaries.projection.js';
import { ListAccounts, type AccountPage } from '../infrastructure/account-summaries/list-accounts.query.js';
import { AccountListResponse, AccountSummaryResponse } from './dto/account-summary.response.js';
import { ListAccountsQueryDto } from './dto/list-accounts.query.dto.js';
import type { StoredEvent } from '../../../event-sourcing/store/event-store.js';
import { CloseAccount } from '../application/close-account/close-account.command.js';
import { DepositMoney } from '../application/deposit-money/deposit-money.command.js';
import { ErasePersonalData } from '../application/erase-personal-data/erase-personal-data.command.js';
import { GetAccountEvents } from '../application/get-account-events/get-account-events.query.js';
import { GetAccount } from '../application/get-account/get-account.query.js';
import { OpenAccount } from '../application/open-account/open-account.command.js';
import { WithdrawMoney } from '../application/withdraw-money/withdraw-money.command.js';
import type { Account } from '../domain/account.aggregate.js';
import { AccountIdParams } from './dto/account-id.params.js';
import { AccountEventsQueryDto } from './dto/account-events.query.dto.js';
import { AccountResponse, BalanceResponse, CommandResponse } from './dto/account.responses.js';
import { GetAccountQueryDto } from './dto/get-account.query.dto.js';
import { MoneyAmountDto } from './dto/money-amount.dto.js';
import { OpenAccountDto } from './dto/open-account.dto.js';

type Balance = CommandOutcome<{ balance: number }>;

const PROJECTION_HEADER = {
  'X-Projection-Position': { description: 'The last log position the view behind this list has processed' },
};

/** The OpenAPI description every command route shares: its headers and its refusals. */
const CommandDocs = () =>
  applyDecorators(
    ApiHeader({ name: 'If-Match', required: false, description: 'Apply only at this version, e.g. "3"; else 409' }),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'A repeat with the same key and body appends nothing and gets the first answer',
    }),
    ApiConflictResponse({ type: ProblemDetails, description: 'If-Match names another version' }),
    ApiUnprocessableEntityResponse({ type: ProblemDetails, description: 'A domain rule refused the command' }),
  );

/** A command on an existing account: 200 with `answer`, 404 for an unknown account. */
const AccountCommand = (answer: Type) =>
  applyDecorators(
    HttpCode(200),
    CommandDocs(),
    ApiOkResponse({ type: answer }),
    ApiNotFoundResponse({ type: ProblemDetails }),
  );

@ApiTags('accounts')
@Controller('accounts')
export class AccountsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly followers: FollowersService,
  ) {}

  @Get()
  @ApiOkResponse({ type: AccountListResponse, headers: PROJECTION_HEADER })
  async list(
    @Query() query: ListAccountsQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AccountListResponse> {
    const after = query.cursor === undefined ? undefined : Buffer.from(query.cursor, 'base64url').toString();
    if (after !== undefined && !isUUID(after)) {
      throw new RequestValidationError([{ field: 'cursor', message: 'cursor must be a nextCursor this API returned' }]);
    }
    await beforeProjectionRead(this.followers, ACCOUNT_SUMMARIES, query, response);
    const page = await this.queries.execute<ListAccounts, AccountPage>(
      new ListAccounts(query.limit, after, query.owner),
    );
    const last = page.items.at(-1);
    return {
      items: page.items.map(AccountSummaryResponse.of),
      nextCursor: page.more && last ? Buffer.from(last.id).toString('base64url') : null,
    };
  }

  @Post()
  @CommandDocs()
  @ApiCreatedResponse({ type: CommandResponse })
  async open(
    @Body() body: OpenAccountDto,
    @RequestCommandContext() context: CommandContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandResponse> {
    const outcome = await this.commands.execute(
      new OpenAccount(body.owner, body.currency, body.overdraftLimit, context),
    );
    response.location(`/accounts/${outcome.id}`);
    return commandResponse(response, outcome);
  }

  @Post(':id/deposits')
  @AccountCommand(BalanceResponse)
  async deposit(
    @Param() { id }: AccountIdParams,
    @Body() body: MoneyAmountDto,
    @RequestCommandContext() context: CommandContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<BalanceResponse> {
    return commandResponse(
      response,
      (await this.commands.execute(new DepositMoney(id, body.amount, context))) as Balance,
    );
  }

  @Post(':id/withdrawals')
  @AccountCommand(BalanceResponse)
  async withdraw(
    @Param() { id }: AccountIdParams,
    @Body() body: MoneyAmountDto,
    @RequestCommandContext() context: CommandContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<BalanceResponse> {
    return commandResponse(
      response,
      (await this.commands.execute(new WithdrawMoney(id, body.amount, context))) as Balance,
    );
  }

  @Post(':id/close')
  @AccountCommand(CommandResponse)
  @ApiBody({ required: false, schema: {} })
  async close(
    @Param() { id }: AccountIdParams,
    @Body() _body: NoBody,
    @RequestCommandContext() context: CommandContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandResponse> {
    return commandResponse(response, await this.commands.execute(new CloseAccount(id, context)));
  }

  @Delete(':id/personal-data')
  @Roles('admin')
  @AccountCommand(CommandResponse)
  @ApiOperation({
    summary: "Erase the owner's personal data",
    description:
      'Destroys the account\'s key for personal data: the owner\'s name reads as "[erased]" in its events, snapshots and views from now on; balances and history stay. Repeating it changes nothing.',
  })
  async erasePersonalData(
    @Param() { id }: AccountIdParams,
    @Body() _body: NoBody,
    @RequestCommandContext() context: CommandContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandResponse> {
    return commandResponse(response, await this.commands.execute(new ErasePersonalData(id, context)));
  }

  @Get(':id')
  @ApiOkResponse({ type: AccountResponse })
  @ApiNotFoundResponse({ type: ProblemDetails })
  async get(
    @Param() { id }: AccountIdParams,
    @Query() query: GetAccountQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AccountResponse> {
    const at = { version: query.version, asOf: query.asOf === undefined ? undefined : new Date(query.asOf) };
    const account = await this.queries.execute<GetAccount, Account>(new GetAccount(id, at));
    response.setHeader('ETag', `"${account.version}"`);
    return AccountResponse.of(account);
  }

  @Get(':id/statement')
  @ApiOkResponse({ type: StatementResponse, headers: PROJECTION_HEADER })
  @ApiNotFoundResponse({ type: ProblemDetails })
  async statement(
    @Param() { id }: AccountIdParams,
    @Query() query: StatementQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StatementResponse> {
    await beforeProjectionRead(this.followers, ACCOUNT_STATEMENTS, query, response);
    const lines = await this.queries.execute<GetStatement, StatementLine[]>(
      new GetStatement(id, query.fromVersion, query.limit),
    );
    return { items: lines.map(StatementLineResponse.of) };
  }

  @Get(':id/events')
  @ApiOkResponse({ type: EventPage })
  @ApiNotFoundResponse({ type: ProblemDetails })
  async events(@Param() { id }: AccountIdParams, @Query() query: AccountEventsQueryDto): Promise<EventPage> {
    const events = await this.queries.execute<GetAccountEvents, StoredEvent[]>(
      new GetAccountEvents(id, query.fromVersion, query.limit),
    );
    return { items: events.map(EventResponse.of) };
  }
}
