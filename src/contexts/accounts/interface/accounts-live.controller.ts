import { Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { StreamOwners } from '#event-sourcing';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import {
  AcceptsStreamTicket,
  ApiLiveStream,
  ApiProblemResponses,
  LiveFilters,
  LiveStreams,
  LiveViewQuery,
  OwnedStreams,
  OwnerScope,
  PROBLEMS,
} from '#event-sourcing/http';
import { Account } from '../domain/account.aggregate.js';
import { ACCOUNT_PROBLEMS } from './account.problems.js';
import { AccountIdParams } from './dto/account-id.params.js';

const RESUME =
  'A new stream starts at the head of the log (its first message is a `position` event naming it); `Last-Event-ID`, or `?after=`, resumes. ' +
  'With authentication on, a browser passes `?ticket=` from `POST /stream-tickets` (docs/API.md, "Live views").';

/**
 * Live views of accounts for browsers: the events that change an account (and so its
 * statement), or the accounts a subject may list, as Server-Sent Events. Listed before
 * {@link AccountsController} in the module, so that `/accounts/stream` is not taken for an id.
 */
@ApiTags('accounts')
@ApiProblemResponses(PROBLEMS.databaseUnavailable, PROBLEMS.databaseBusy)
@OwnedStreams(Account.streamType)
@Controller('accounts')
export class AccountsLiveController {
  constructor(
    private readonly live: LiveStreams,
    private readonly owners: StreamOwners,
  ) {
    live.trackOwners(Account.streamType);
  }

  @Get('stream')
  @AcceptsStreamTicket()
  @ApiLiveStream({
    operationId: 'streamAccounts',
    summary: 'Follow the accounts the caller may list, live (Server-Sent Events)',
    description: `The events of every account \`GET /accounts\` lists for the caller: its own, or all for the roles teller and admin. ${RESUME}`,
  })
  async list(
    @Query() { after }: LiveViewQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @OwnerScope() openedBy: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.live.serve(request, response, { lastEventId, after }, LiveFilters.ownedBy(Account.streamType, openedBy));
  }

  @Get(':id/stream')
  @AcceptsStreamTicket()
  @ApiLiveStream({
    operationId: 'streamAccount',
    summary: "Follow an account's events live (Server-Sent Events): what changes it and its statement",
    description: `The account's own events, each one as \`GET /accounts/{id}/events\` serves it. ${RESUME}`,
  })
  @ApiProblemResponses(ACCOUNT_PROBLEMS.notFound)
  async one(
    @Param() { id }: AccountIdParams,
    @Query() { after }: LiveViewQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    // The guard let a missing stream through for the route to answer, as a read of it does.
    const owner = await this.owners.of(id);
    if (owner?.streamType !== Account.streamType) throw new AggregateNotFoundError(Account.streamType, id);
    await this.live.serve(request, response, { lastEventId, after }, LiveFilters.stream(id));
  }
}
