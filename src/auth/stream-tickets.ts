import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Principal } from './bearer-token.verifier.js';

/** How long a ticket may wait to be used: enough to open the stream right after asking for it. */
export const STREAM_TICKET_TTL_SECONDS = 30;

/** 32 random bytes in base64url, as {@link StreamTickets.issue} makes them. */
const TICKET = /^[A-Za-z0-9_-]{43}$/;

/** Expired tickets are deleted a while after they expire, so that using one late still says "expired". */
const SWEEP_AFTER = '10 minutes';

export interface IssuedTicket {
  ticket: string;
  path: string;
  expiresAt: Date;
}

/** A ticket that proves nothing: unknown, used already, or expired (401). */
export class StreamTicketRefusedError extends UnauthorizedException {}

const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest();

/**
 * Single-use stream tickets: a browser's `EventSource` cannot send `Authorization`, so it
 * opens a live view with `?ticket=`, which a bearer-authenticated `POST /stream-tickets`
 * gave it, bound to the subject (and roles) of that token and to the path of one route.
 * The table is the same for every instance, and redeeming deletes the row in the same
 * statement that reads it: a ticket opens one stream, on any instance, once.
 */
export class StreamTickets {
  constructor(private readonly pool: Pool) {}

  async issue(principal: Principal, path: string): Promise<IssuedTicket> {
    const ticket = randomBytes(32).toString('base64url');
    // Each issue sweeps a bounded batch of long-expired tickets: never more rows than are issued.
    const { rows } = await this.pool.query<{ expires_at: Date }>(
      `WITH swept AS (
         DELETE FROM stream_tickets WHERE hash = ANY (ARRAY(
           SELECT hash FROM stream_tickets WHERE expires_at < now() - interval '${SWEEP_AFTER}' LIMIT 10)))
       INSERT INTO stream_tickets (hash, subject, roles, path, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
       RETURNING expires_at`,
      [hashOf(ticket), principal.id, principal.roles, path, STREAM_TICKET_TTL_SECONDS],
    );
    return { ticket, path, expiresAt: rows[0].expires_at };
  }

  /**
   * The principal `ticket` was issued to, once: 401 for an unknown, used or expired ticket,
   * 403 for one issued for another path than `path` (used up all the same).
   */
  async redeem(ticket: string, path: string): Promise<Principal> {
    if (!TICKET.test(ticket)) throw new StreamTicketRefusedError('The stream ticket is malformed');
    const { rows } = await this.pool.query<{ subject: string; roles: string[]; path: string; fresh: boolean }>(
      `DELETE FROM stream_tickets WHERE hash = $1
       RETURNING subject, roles, path, expires_at > now() AS fresh`,
      [hashOf(ticket)],
    );
    const [row] = rows;
    if (!row) throw new StreamTicketRefusedError('The stream ticket is unknown or was used already: ask for another');
    if (!row.fresh) throw new StreamTicketRefusedError('The stream ticket has expired: ask for another');
    if (row.path !== path) {
      throw new ForbiddenException(`The stream ticket was issued for ${row.path}, not for this path`);
    }
    return { id: row.subject, roles: row.roles };
  }
}
