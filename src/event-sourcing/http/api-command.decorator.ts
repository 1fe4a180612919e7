import { applyDecorators, HttpCode, type Type } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { CommandOutcome, CommandResult } from '../application/command-context.js';
import { REQUEST_HEADERS, responseHeaders } from './api-headers.js';
import { ApiProblemResponses, type ProblemExample } from './api-problem-responses.decorator.js';
import { AnswersWithOutcome } from './command-answer.js';
import { PROBLEMS } from './problem-examples.js';

export interface CommandRoute {
  /** 201 for a new aggregate, 200 for a change to one, 202 when the work goes on after the answer. */
  status: 200 | 201 | 202;
  /** The body of the answer. */
  type: Type;
  description?: string;
  /**
   * For a command on an existing aggregate: the problem of an unknown id. Such a command
   * also takes If-Match and may end in a conflict (409); one that starts a new aggregate
   * answers with its URL in Location instead.
   */
  notFound?: ProblemExample;
  /** The domain rules that may refuse it (422, or 409 for a `DomainConflict`), as examples. */
  refusals?: ProblemExample[];
}

/** Decorates a route method that returns a command's outcome (`commandBus.execute(...)`), and no other. */
export type CommandRouteDecorator = <T extends (...args: never[]) => Promise<CommandOutcome<CommandResult>>>(
  target: object,
  key: string | symbol,
  descriptor: TypedPropertyDescriptor<T>,
) => void;

/**
 * A command route: its status; its answer, made from the outcome the route returns (the
 * body, the new version as `ETag`, and `Location` for a new aggregate); and in the OpenAPI
 * document its headers (Idempotency-Key, If-Match), that answer, and every problem a
 * command may answer with besides the route's own.
 */
export function ApiCommand({
  status,
  type,
  description,
  notFound,
  refusals = [],
}: CommandRoute): CommandRouteDecorator {
  const existing = notFound !== undefined;
  return applyDecorators(
    // First, so that the decorators after it describe the route method it puts in place.
    AnswersWithOutcome(!existing),
    HttpCode(status),
    ApiHeader(REQUEST_HEADERS['Idempotency-Key']),
    ...(existing ? [ApiHeader(REQUEST_HEADERS['If-Match'])] : []),
    ApiResponse({
      status,
      type,
      description: description ?? 'Done: the aggregate is at `version`, its last event at `position` in the log',
      headers: existing ? responseHeaders('ETag') : responseHeaders('ETag', 'Location'),
    }),
    ApiProblemResponses(
      PROBLEMS.invalidRequest,
      PROBLEMS.malformedJson,
      PROBLEMS.unreadableBody,
      ...(existing ? [notFound, PROBLEMS.concurrencyConflict] : []),
      PROBLEMS.bodyTooLarge,
      PROBLEMS.unsupportedMediaType,
      PROBLEMS.unsupportedBody,
      ...refusals,
      PROBLEMS.idempotencyKeyReused,
    ),
  );
}
