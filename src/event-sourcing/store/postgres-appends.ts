import type { Pool, PoolClient, QueryConfig, QueryResultRow } from 'pg';
import { ConcurrencyError } from '../domain/errors.js';
import { FencedAppendError, type AppendFence } from './append-fence.js';
import { AppendGroups } from './append-groups.js';
import { EventIdTakenError, IdempotencyKeyTakenError, type AppendRequest, type AppendResult } from './event-store.js';

/** An append with its data encoded, and the hook of the store it came through. */
export interface EncodedAppend {
  request: AppendRequest;
  /** The codec's output, as JSON text. */
  data: string[];
  /** Called once the append stored events (not for a duplicate). */
  appended: () => void;
  /** The follower lease it is made under, if any (see {@link AppendFence}). */
  fence?: AppendFence;
}

// An append whose data subject's key is gone (AppendRequest.whileKeyOf) is sent with the
// expected version -1, which no stream is at: the function refuses it as a conflict. The key
// is read by the statement that appends, so an erasure that committed before it is seen.
const KEY_GONE = (subject: string) =>
  `${subject} IS NOT NULL AND NOT EXISTS (SELECT FROM personal_data_keys k WHERE k.subject_id = ${subject} AND k.key IS NOT NULL)`;

// So is an append decided in another history generation (AppendRequest.generation): the
// generation is read under a lock that a rewrite waits on and holds until it commits
// (migration 1795680000014), and answered with the append, so a new state knows its own.
const MOVED = (generation: string) => `${generation} <> history.generation`;
const HISTORY = '(SELECT chronicle_history_generation() AS generation) AS history';

// And so is an append under a follower's lease (AppendFence) once a newer token was claimed
// for it. The share lock on the follower's row is held until the append commits: a claim
// (an UPDATE of that row) waits for it, or this waits for the claim and sees its token.
const LEASE_LOST = (follower: string, lease: string) =>
  `${follower} IS NOT NULL AND NOT EXISTS (SELECT FROM followers f WHERE f.name = ${follower} AND f.lease_token <= ${lease} FOR SHARE)`;
const LEASE_HELD = {
  name: 'chronicle_lease_held',
  text: 'SELECT EXISTS (SELECT FROM followers WHERE name = $1 AND lease_token <= $2) AS held',
};

// Named statements are parsed and planned once per connection. An append under a lease has
// statements of its own: with the lease's condition in it, every append, fenced or not, took
// about 80 µs more at 1 writer (W1 -15%; 8 writers -6%).
const appendStatement = (fenced: boolean) => ({
  name: fenced ? 'chronicle_append_fenced' : 'chronicle_append',
  text: `SELECT version, position, recorded_at, duplicate, history.generation
           FROM ${HISTORY},
                chronicle_append($1, $2,
                  CASE WHEN ${KEY_GONE('$12::text')} OR ${MOVED('$13::bigint')}
                            ${fenced ? `OR ${LEASE_LOST('$14::text', '$15::bigint')}` : ''}
                       THEN -1 ELSE $3::integer END,
                  $4, $5, $6, $7, $8, $9, $10, $11)`,
});
const APPEND = appendStatement(false);
const APPEND_FENCED = appendStatement(true);
const appendGroupStatement = (fenced: boolean) => ({
  name: fenced ? 'chronicle_append_group_fenced' : 'chronicle_append_group',
  text: `SELECT version, position, recorded_at, duplicate, conflict, history.generation
           FROM ${HISTORY},
                chronicle_append_group($1, $2,
                  ARRAY(SELECT CASE WHEN ${KEY_GONE('u.subject')} OR ${MOVED('u.generation')}
                                          ${fenced ? `OR ${LEASE_LOST('u.follower', 'u.lease')}` : ''}
                                    THEN -1 ELSE u.expected END
                          FROM unnest($3::integer[], $13::text[], $14::bigint[]
                                      ${fenced ? ', $15::text[], $16::bigint[]' : ''}) WITH ORDINALITY
                               AS u(expected, subject, generation${fenced ? ', follower, lease' : ''}, n)
                         ORDER BY u.n),
                  $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
});
const APPEND_GROUP = appendGroupStatement(false);
const APPEND_GROUP_FENCED = appendGroupStatement(true);

/**
 * Groups out at once on one pool, never more than its connections. Two, measured against
 * three and four with the benchmark's single-event writers (docs/PERFORMANCE.md,
 * "Appending"): one group fills while the other runs and flushes its commit; more split
 * the waiting appends into smaller groups, and did no better at 32 writers and worse at 8.
 */
export const GROUPS_IN_FLIGHT = 2;
// A group holds its streams' locks until it commits, and takes all its positions in the
// critical section: big enough to share a flush among many appends, small enough that
// neither is held much longer than for one append.
const MAX_GROUP_APPENDS = 64;
const MAX_GROUP_EVENTS = 1_000;
// Large appends go alone: a group saves about one single-event append's work per append,
// small next to many events' own, and held to two groups in flight they would use fewer
// backends. The benchmark's 100-event appends did better alone, single events in groups;
// 50 lies between, not measured finer (docs/PERFORMANCE.md, "Appending").
const LARGE_APPEND_EVENTS = 50;

// The groups of each pool: what they share is the pool's connections and the server's
// commit flushes, so the stores on one pool (one per caller, in the benchmark) share them.
const groupsByPool = new WeakMap<Pool, AppendGroups<EncodedAppend, AppendResult>>();

/** Appends through `pool`, grouped with the appends in flight on it (see {@link AppendGroups}). */
export function appendGrouped(pool: Pool, append: EncodedAppend): Promise<AppendResult> {
  let groups = groupsByPool.get(pool);
  if (!groups) {
    const limits = {
      inFlight: Math.min(GROUPS_IN_FLIGHT, pool.options.max ?? GROUPS_IN_FLIGHT),
      appends: MAX_GROUP_APPENDS,
      events: MAX_GROUP_EVENTS,
      large: LARGE_APPEND_EVENTS,
      waitMs: pool.options.connectionTimeoutMillis ?? 0,
    };
    groups = new AppendGroups(limits, (group) => sendGroup(pool, group));
    groupsByPool.set(pool, groups);
  }
  return groups.append(append);
}

async function sendGroup(pool: Pool, group: EncodedAppend[]): Promise<PromiseSettledResult<AppendResult>[]> {
  if (group.length === 1) return [await settled(appendAlone(pool, group[0]))];
  // No connection (the pool's wait ran out, the server refuses): nothing was sent, and each
  // append alone would wait for one the same way; the group fails with that error.
  const client = await pool.connect();
  let rows: QueryResultRow[];
  try {
    const fenced = group.some((append) => append.fence !== undefined);
    rows = await queryOn(client, {
      ...(fenced ? APPEND_GROUP_FENCED : APPEND_GROUP),
      values: groupValues(group, fenced),
    });
  } catch (error) {
    if (!againAlone(error)) throw error;
    // Each append again in a call of its own, for its own outcome; at once, side by side:
    // they are of different streams, and one whose stream's lock is held elsewhere should
    // not hold the others back.
    return Promise.all(group.map((append) => settled(appendAlone(pool, append))));
  }
  const hooks = new Set<() => void>();
  const outcomes = rows.map(async (row, i): Promise<PromiseSettledResult<AppendResult>> => {
    const { request, appended, fence } = group[i];
    if (row.conflict !== null) {
      const error = new ConcurrencyError(request.streamId, request.expectedVersion as number, row.conflict);
      return { status: 'rejected', reason: await fenced(pool, error, fence) };
    }
    if (!row.duplicate) hooks.add(appended);
    return { status: 'fulfilled', value: toResult(row) };
  });
  hooks.forEach((hook) => hook());
  return Promise.all(outcomes);
}

/** One append in its own call of `chronicle_append`. */
async function appendAlone(pool: Pool, append: EncodedAppend): Promise<AppendResult> {
  const { request } = append;
  const { events, idempotency } = request;
  const values = [
    request.streamId,
    request.streamType,
    request.expectedVersion === 'any' ? null : request.expectedVersion,
    events.map((e) => e.id),
    events.map((e) => e.type),
    events.map((e) => e.schemaVersion),
    append.data,
    events.map((e) => JSON.stringify(e.metadata)),
    idempotency?.key ?? null,
    idempotency?.fingerprint ?? null,
    idempotency ? JSON.stringify(idempotency.result) : null,
    request.whileKeyOf ?? null,
    request.generation ?? null,
    ...(append.fence ? [append.fence.follower, append.fence.lease] : []),
  ];
  try {
    const [row] = await query(pool, { ...(append.fence ? APPEND_FENCED : APPEND), values });
    if (!row.duplicate) append.appended();
    return toResult(row);
  } catch (error) {
    throw await fenced(pool, translate(error, request), append.fence);
  }
}

/**
 * A conflict of an append made under a lease that is no longer held is the fence's refusal
 * (or, refused either way, would have been): said as such, so that the command is not
 * decided again and the follower stops instead of recording a failure.
 */
async function fenced(pool: Pool, error: unknown, fence: AppendFence | undefined): Promise<unknown> {
  if (!fence || !(error instanceof ConcurrencyError)) return error;
  const [{ held }] = await query(pool, { ...LEASE_HELD, values: [fence.follower, fence.lease] });
  return held ? error : new FencedAppendError(fence.follower);
}

function groupValues(group: EncodedAppend[], fenced: boolean): unknown[] {
  const requests = group.map((append) => append.request);
  const events = requests.flatMap((request) => request.events);
  return [
    requests.map((r) => r.streamId),
    requests.map((r) => r.streamType),
    requests.map((r) => (r.expectedVersion === 'any' ? null : r.expectedVersion)),
    requests.map((r) => r.events.length),
    requests.map((r) => r.idempotency?.key ?? null),
    requests.map((r) => r.idempotency?.fingerprint ?? null),
    requests.map((r) => (r.idempotency ? JSON.stringify(r.idempotency.result) : null)),
    events.map((e) => e.id),
    events.map((e) => e.type),
    events.map((e) => e.schemaVersion),
    group.flatMap((append) => append.data),
    events.map((e) => JSON.stringify(e.metadata)),
    requests.map((r) => r.whileKeyOf ?? null),
    requests.map((r) => r.generation ?? null),
    ...(fenced
      ? [group.map((append) => append.fence?.follower ?? null), group.map((append) => append.fence?.lease ?? null)]
      : []),
  ];
}

async function query(pool: Pool, statement: QueryConfig): Promise<QueryResultRow[]> {
  return queryOn(await pool.connect(), statement);
}

/** Runs `statement` on a client just taken from the pool, and gives the client back. */
async function queryOn(client: PoolClient, statement: QueryConfig): Promise<QueryResultRow[]> {
  let broken: Error | undefined;
  try {
    return (await client.query(statement)).rows;
  } catch (error) {
    broken = await releaseCriticalSection(client, error);
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * The append functions hold a session-level lock while they take their transaction id and
 * positions; an error in between (a statement timeout, say) would leave it held on this
 * pooled connection. Returns the error to discard the connection with when the unlock
 * itself fails.
 */
async function releaseCriticalSection(client: PoolClient, cause: unknown): Promise<Error | undefined> {
  try {
    await client.query('SELECT pg_advisory_unlock_all()');
    return undefined;
  } catch {
    return cause instanceof Error ? cause : new Error(String(cause));
  }
}

/**
 * Whether the appends of a group that failed with `error` go again, each alone. Every
 * member's own error (a bad value, a unique key, a stream id too long for its index, a
 * deferred trigger raising at commit) fails the whole group, whatever its class, so the
 * rule is the other way round: again alone unless that could not change anything. It is
 * safe whatever happened to the group, because the event ids make an append idempotent:
 * - the server answered with an error (any SQLSTATE, at commit too: a deferred trigger,
 *   a serialization failure, a deadlock between two groups; a statement timeout; a cancel
 *   from pg_cancel_backend): the group's transaction rolled back, nothing of it stayed;
 * - the connection was lost before the answer (a restart, pg_terminate_backend, a reset):
 *   if the group committed first, each append finds its event ids stored and answers
 *   `duplicate`, as the caller's own retry would; if it still runs on the server, each
 *   waits for its stream's lock until the group ends, then appends or answers `duplicate`.
 * A statement timeout cannot say which member the server waited for: when it was something
 * every append waits on (the critical section held elsewhere), the group's appends wait
 * for it a second time, alone, on as many connections as the pool gives them.
 * Not when the server did not answer in time (the pool's client timed the statement out,
 * pg's "Query read timeout"): the server is frozen or cut off, each append alone would
 * wait that long again, and a request's answer would take twice its documented bound
 * (docs/OPERATIONS.md). The price: a member whose stream's lock is held elsewhere that long
 * fails its group with it, unless statement_timeout is set lower and the server answers
 * first (57014, which goes again alone).
 */
function againAlone(error: unknown): boolean {
  return !(error instanceof Error && error.message.startsWith('Query read timeout'));
}

const EVENT_ID_TAKEN = /^Key \(event_id\)=\(([^)]*)\) already exists/;

function translate(error: unknown, request: AppendRequest): unknown {
  const pgError = error as { code?: string; detail?: string; constraint?: string };
  if (pgError.code === 'CH409') {
    return new ConcurrencyError(request.streamId, request.expectedVersion as number, Number(pgError.detail));
  }
  if (pgError.code === '23505' && pgError.constraint === 'idempotency_keys_pkey' && request.idempotency) {
    return new IdempotencyKeyTakenError(request.idempotency.key);
  }
  // Matched on the detail, not the constraint's name: on a partitioned log the index that
  // refuses it is the side table's or a partition's, whose names vary.
  const takenId = pgError.code === '23505' ? EVENT_ID_TAKEN.exec(pgError.detail ?? '') : null;
  if (takenId) return new EventIdTakenError(takenId[1]);
  return error;
}

function toResult(row: QueryResultRow): AppendResult {
  return {
    version: row.version,
    position: Number(row.position),
    recordedAt: row.recorded_at,
    duplicate: row.duplicate,
    generation: Number(row.generation),
  };
}

function settled<R>(promise: Promise<R>): Promise<PromiseSettledResult<R>> {
  return promise.then(
    (value) => ({ status: 'fulfilled', value }),
    (reason: unknown) => ({ status: 'rejected', reason }),
  );
}
