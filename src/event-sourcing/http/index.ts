/**
 * `#event-sourcing/http`: what a bounded context's `interface/` layer uses to expose its
 * commands and queries over HTTP the way every route of the template does: problem details,
 * command headers (`Idempotency-Key`, `If-Match`, `ETag`, `Location`), OpenAPI decorators,
 * read-your-writes on views, and the app-wide pipes and filters `app.setup.ts` installs.
 */

/** The `Cache-Control` of every answer: revalidate before use, never shared when the request had credentials. */
export { revalidateEveryAnswer } from './cache-control.js';
/** A command route: its status, its answer made from the command's outcome, and its OpenAPI description. */
export { ApiCommand, type CommandRoute, type CommandRouteDecorator } from './api-command.decorator.js';
/** The id used in every OpenAPI example. */
export { EXAMPLE_ID } from './api-examples.js';
/** OpenAPI descriptions of the response and request headers the template uses. */
export { REQUEST_HEADERS, RESPONSE_HEADERS, responseHeaders } from './api-headers.js';
/** Documents problem responses of a route; an example problem; the OpenAPI response object of a set of them. */
export {
  ApiProblemResponses,
  problemExample,
  problemResponse,
  type ProblemExample,
} from './api-problem-responses.decorator.js';
/** The route parameter decorator that turns a request's command headers into a `CommandContext`. */
export { RequestCommandContext } from './command-context.decorator.js';
/** The body of a command's answer, as the OpenAPI document shows it. */
export { CommandResponse } from './command-response.js';
/** An event as the API shows it, and a page of them. */
export { EventPage, EventResponse } from './event.response.js';
/** Text a PostgreSQL text column can store (no NUL, valid UTF-16). */
export { IsStorableText } from './is-storable-text.decorator.js';
/** A command route that takes no body. */
export { ApiNoBody, NoBody } from './no-body.dto.js';
/** `?limit=` of a paged route. */
export { PageLimitQuery } from './page-limit.query.js';
/** The history of one aggregate: `?version=`/`?asOf=` time travel, and `?fromVersion=` of a page of its events. */
export { PointInTimeQuery, StreamEventsQuery } from './history.query.js';
/** RFC 9457 problem details, and the error a controller throws for a request it refuses as invalid. */
export { FieldError, ProblemDetails, RequestValidationError } from './problem-details.js';
/**
 * Turns every error into a problem+json answer; `answerWithProblem` does the same from
 * outside a route, and `AnswerDeadlineError` is the 503 of an answer not ready in time.
 */
export { AnswerDeadlineError, answerWithProblem, ProblemDetailsFilter } from './problem-details.filter.js';
/** The problems every route may answer, as OpenAPI examples. */
export { PROBLEMS } from './problem-examples.js';
/** `?minPosition=` read-your-writes on a view: the query, and the route decorator that waits and tells the view's position. */
export { LogReadQuery, ProjectionReadQuery, READ_SOURCE_HEADER, ReadsLog, ReadsView } from './projection-read.js';
/** A read of an aggregate: the answer's version as its `ETag`. */
export { AnswersWithVersion } from './route-answer.js';
/** A whole-number query parameter. */
export { QueryInteger } from './query-integer.decorator.js';
/** Records the authenticated subject of a request (for the commands it sends), and whether it acts for any owner. */
export { setRequestActor } from './request-actor.js';
/** Owner scope: routes on a stream refuse, with a 404, actors that do not own it; and the owner filter of a list. */
export { OwnedStreams, OwnerScope, type StreamIdFrom } from './owned-streams.decorator.js';
/** Operator routes (the log, views, personal data): the decorator, and its metadata key for the authentication guard. */
export { OPERATORS_ONLY, OperatorsOnly } from './operators-only.decorator.js';
/**
 * Live views for browsers: Server-Sent Events of the log's events a filter lets through, the
 * route decorators (OpenAPI, stream tickets) and the query of such a route.
 */
export { LiveFilters, LiveStreams, type LiveFilter, type LiveStart } from './live-streams.js';
export {
  AcceptsStreamTicket,
  ApiLiveStream,
  LiveStreamQuery,
  LiveViewQuery,
  STREAM_TICKETS_ACCEPTED,
} from './live-stream.route.js';
/** The correlation id of a request: its header, how it is read, and the middleware that echoes it. */
export { CORRELATION_HEADER, correlationIdOf, echoCorrelationId } from './request-correlation.js';
/** The app's validation pipe: whitelisted DTOs, bounded nesting. */
export { RequestValidationPipe } from './request-validation.pipe.js';
/** Follows another service's notification log over HTTP, with a checkpoint of its own. */
export {
  HttpLogFollower,
  RemoteLogError,
  type FollowerCheckpoint,
  type HttpLogFollowerOptions,
  type LogPage,
  type LogPageHandler,
} from '../subscriptions/http-log-follower.js';
/** An `HttpLogFollower`'s checkpoint in a `CheckpointStore`, saved with the handler's writes by `saveIn`. */
export { StoredCheckpoint } from '../subscriptions/stored-checkpoint.js';
