import { createParamDecorator, Injectable, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Request } from 'express';
import { FollowersService } from '../subscriptions/followers.service.js';
import { QueryInteger } from './query-integer.decorator.js';
import { answerWith } from './route-answer.js';

/** Says that the view behind an answer had not reached the `?minPosition=` asked for when the wait ended. */
const STALE_HEADER = 'X-Projection-Stale';

/** `?minPosition=`: read once the view has processed this position (waiting at most `MIN_POSITION_WAIT_MS`). */
export class ProjectionReadQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    example: 42,
    description:
      'Wait until the view has processed this position, e.g. the position a command returned: at most MIN_POSITION_WAIT_MS (5 s by default), then the answer carries `X-Projection-Stale: true` if the view is still short of it',
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  minPosition?: number;
}

/** How a view read waits: for the view to pass the position its request asked for, then tells how far it is. */
type ViewWait = () => Promise<{ position: number; asked: number }>;

/**
 * Hands a view read the wait for its view: the `minPosition` of the query string (the
 * route's own query DTO, a {@link ProjectionReadQuery}, has refused a bad one by the time
 * the wait runs), for this view, on the app's `FollowersService`. A pipe, because pipes
 * are built by Nest's injector; it only builds the wait, which the route's wrapper runs
 * once every parameter is valid.
 */
@Injectable()
class ViewWaitPipe implements PipeTransform<{ view: string; minPosition: unknown }, ViewWait> {
  constructor(private readonly followers: FollowersService) {}

  transform({ view, minPosition }: { view: string; minPosition: unknown }): ViewWait {
    const number = typeof minPosition === 'string' ? Number(minPosition) : 0;
    const asked = Number.isSafeInteger(number) ? number : 0;
    return async () => ({ position: await this.followers.waitFor(view, asked), asked });
  }
}

const ViewOfRequest = createParamDecorator((view: string, context: ExecutionContext) => ({
  view,
  minPosition: context.switchToHttp().getRequest<Request>().query.minPosition,
}));

/**
 * A read from a view: before the route runs, waits for `?minPosition=` if asked (at most
 * `MIN_POSITION_WAIT_MS`), and answers with how far the view is in `X-Projection-Position`
 * (views follow the log and may lag), and with `X-Projection-Stale: true` when that is
 * short of the position asked for: the answer may not show the effect the client waited
 * for. The route's query DTO extends {@link ProjectionReadQuery}.
 */
export const ReadsView = (view: string): MethodDecorator =>
  answerWith([ViewOfRequest(view, ViewWaitPipe)], async (run, response, [wait]) => {
    const { position, asked } = await (wait as ViewWait)();
    response.setHeader('X-Projection-Position', String(position));
    if (position < asked) response.setHeader(STALE_HEADER, 'true');
    return run();
  });
