import { Body, Controller, Inject, Optional, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { IsString, Matches, MaxLength } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { ApiProblemResponses, PROBLEMS } from '#event-sourcing/http';
import { requestPrincipal } from './request-principal.js';
import { STREAM_TICKET_TTL_SECONDS, StreamTickets, type IssuedTicket } from './stream-tickets.js';

export class StreamTicketRequest {
  @ApiProperty({
    description: 'The path of the live view the ticket opens, as the request will name it (no query)',
    example: '/accounts/01a21d09-f92f-759d-8485-28dcaacf71ba/stream',
    maxLength: 2000,
  })
  @IsString()
  @MaxLength(2000)
  @Matches(/^\/[\x21-\x22\x24-\x3e\x40-\x7e]*$/, {
    message: 'path must start with / and hold visible ASCII characters only, without a query or fragment',
  })
  path!: string;
}

export class StreamTicketResponse implements IssuedTicket {
  @ApiProperty({ description: 'Pass it as `?ticket=` when opening the stream; it opens one stream, once' })
  ticket!: string;
  @ApiProperty({ description: 'The path the ticket opens' })
  path!: string;
  @ApiProperty({ description: `When the ticket expires if unused: ${STREAM_TICKET_TTL_SECONDS} s after it was issued` })
  expiresAt!: Date;
}

/** With authentication off nothing is stored: the live views take no ticket, and client code stays the same. */
export const STREAM_TICKETS = Symbol('StreamTickets');

@ApiTags('stream-tickets')
@Controller('stream-tickets')
export class StreamTicketsController {
  constructor(@Optional() @Inject(STREAM_TICKETS) private readonly tickets?: StreamTickets) {}

  @Post()
  @ApiOperation({
    operationId: 'issueStreamTicket',
    summary: 'A single-use ticket to open a live view from a browser (EventSource cannot send Authorization)',
    description:
      `Bound to the caller and to \`path\`; it opens one stream, once, within ${STREAM_TICKET_TTL_SECONDS} s. ` +
      'The stream checks access as it would for the token (404 for an account of another subject). ' +
      'Reconnecting takes a new ticket, with `?after=` the last id received (docs/API.md, "Live views"). ' +
      'With authentication off, the live views need no ticket: one is answered all the same, and ignored.',
  })
  @ApiCreatedResponse({ type: StreamTicketResponse })
  @ApiProblemResponses(PROBLEMS.invalidRequest, PROBLEMS.databaseUnavailable, PROBLEMS.databaseBusy)
  async issue(@Body() { path }: StreamTicketRequest, @Req() request: Request): Promise<StreamTicketResponse> {
    const principal = requestPrincipal(request);
    if (this.tickets && principal) return this.tickets.issue(principal, path);
    const expiresAt = new Date(Date.now() + STREAM_TICKET_TTL_SECONDS * 1000);
    return { ticket: randomBytes(32).toString('base64url'), path, expiresAt };
  }
}
