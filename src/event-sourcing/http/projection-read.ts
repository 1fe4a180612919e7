import { createParamDecorator, Injectable, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';
import { ReadReplicas } from '../store/read-replicas.js';
import { FollowersService } from '../subscriptions/followers.service.js';
import { QueryInteger } from './query-integer.decorator.js';
import { answerWith } from './route-answer.js';

/** Says that the view behind an answer had not reached the `?minPosition=` asked for when the wait ended. */
const STALE_HEADER = 'X-Projection-Stale';
/** Says which server answered a read: `replica` or `primary` (see docs/SCALING.md). */
export const READ_SOURCE_HEADER = 'X-Read-Source';

/** The `?minPosition=` property of a read's query DTO, described for that read. */
export const MinPositionProperty = (description: string): PropertyDecorator => {
  const decorators = [
    ApiPropertyOptional({ type: 'integer', minimum: 0, example: 42, description }),
    IsOptional(),
    QueryInteger(),
    IsInt(),
    Min(0),
    Max(Number.MAX_SAFE_INTEGER),
  ];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
};

/** `?minPosition=`: read once the view has processed this position (waiting at most `MIN_POSITION_WAIT_MS`). */
export class ProjectionReadQuery {
  @MinPositionProperty(
    'Wait until the view has processed this position, e.g. the position a command returned: at most MIN_POSITION_WAIT_MS (5 s by default), then the answer carries `X-Projection-Stale: true` if the view is still short of it. With read replicas, a replica answers only once its copy of the view has it (waiting at most REPLICA_MIN_POSITION_WAIT_MS), else the primary',
  )
  minPosition?: number;
}

/** `?minPosition=` of a read of the log (an aggregate, a stream's events): with read replicas, read on one only once it has that position. */
export class LogReadQuery {
  @MinPositionProperty(
    'With read replicas: read on a replica only once it has replayed this position, e.g. the position a command returned (waiting at most REPLICA_MIN_POSITION_WAIT_MS, 1 s by default), else on the primary, which has every acknowledged write',
  )
  minPosition?: number;
}

/** How a read runs: on a replica fresh enough, or on the primary; it sets the headers that say how. */
type RoutedRead = (run: () => Promise<unknown>, response: Response) => Promise<unknown>;

const askedIn = (minPosition: unknown): number => {
  const number = typeof minPosition === 'string' ? Number(minPosition) : 0;
  return Number.isSafeInteger(number) ? number : 0;
};

const VIEW_POSITION = 'SELECT position FROM followers WHERE name = $1';
// The client's write is there once the row it appended is: an index probe at the position asked.
const LOG_POSITION = 'SELECT coalesce(max(position), 0) AS position FROM events WHERE position <= $1';

/**
 * Builds the read of a view for its request: the `minPosition` of the query string (the
 * route's own query DTO, a {@link ProjectionReadQuery}, has refused a bad one by the time
 * the read runs), on a replica that has it, else on the primary once the app's
 * `FollowersService` has it. A pipe, because pipes are built by Nest's injector; it only
 * builds the read, which the route's wrapper runs once every parameter is valid.
 */
@Injectable()
class ViewReadPipe implements PipeTransform<{ view: string; minPosition: unknown }, RoutedRead> {
  constructor(
    private readonly followers: FollowersService,
    private readonly replicas: ReadReplicas,
  ) {}

  transform({ view, minPosition }: { view: string; minPosition: unknown }): RoutedRead {
    const asked = askedIn(minPosition);
    return async (run, response) => {
      const answer = (position: number) => {
        response.setHeader('X-Projection-Position', String(position));
        if (position < asked) response.setHeader(STALE_HEADER, 'true');
        return run();
      };
      const { value, source } = await this.replicas.read(
        {
          asked,
          alwaysRead: true,
          positionOn: async (dataSource) =>
            Number((await dataSource.query<{ position: string }[]>(VIEW_POSITION, [view]))[0]?.position ?? 0),
        },
        answer,
        async () => answer(await this.followers.waitFor(view, asked)),
      );
      response.setHeader(READ_SOURCE_HEADER, source);
      return value;
    };
  }
}

/** Builds the read of the log (a stream, an aggregate): on a replica that has replayed `minPosition`, else on the primary. */
@Injectable()
class LogReadPipe implements PipeTransform<{ minPosition: unknown }, RoutedRead> {
  constructor(private readonly replicas: ReadReplicas) {}

  transform({ minPosition }: { minPosition: unknown }): RoutedRead {
    const asked = askedIn(minPosition);
    return async (run, response) => {
      const { value, source } = await this.replicas.read(
        {
          asked,
          positionOn: async (dataSource) =>
            Number((await dataSource.query<{ position: string }[]>(LOG_POSITION, [asked]))[0].position),
        },
        run,
        run,
      );
      response.setHeader(READ_SOURCE_HEADER, source);
      return value;
    };
  }
}

const ReadOfRequest = createParamDecorator((view: string | undefined, context: ExecutionContext) => ({
  view,
  minPosition: context.switchToHttp().getRequest<Request>().query.minPosition,
}));

/**
 * A read from a view: runs on a read replica whose copy of the view has reached
 * `?minPosition=` (waiting at most `REPLICA_MIN_POSITION_WAIT_MS`), else on the primary
 * once the view has, if asked (waiting at most `MIN_POSITION_WAIT_MS`). Answers with how
 * far the view it read is in `X-Projection-Position` (views follow the log and may lag),
 * with `X-Projection-Stale: true` when that is short of the position asked for (the
 * answer may not show the effect the client waited for), and with `X-Read-Source`. The
 * route's query DTO extends {@link ProjectionReadQuery}; its handler reads through
 * `ReadReplicas.dataSource()`.
 */
export const ReadsView = (view: string): MethodDecorator =>
  answerWith([ReadOfRequest(view, ViewReadPipe)], (run, response, [read]) => (read as RoutedRead)(run, response));

/**
 * A read of the log (an aggregate, a stream's events): runs on a read replica that has
 * replayed `?minPosition=` (waiting at most `REPLICA_MIN_POSITION_WAIT_MS`), else on the
 * primary, which has every acknowledged write; says which in `X-Read-Source`. The
 * handler reads through `ReadReplicas.eventStore()` or `ReadReplicas.load()`.
 */
export const ReadsLog = (): MethodDecorator =>
  answerWith([ReadOfRequest(undefined, LogReadPipe)], (run, response, [read]) => (read as RoutedRead)(run, response));
