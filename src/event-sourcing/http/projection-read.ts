import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Response } from 'express';
import type { FollowersService } from '../subscriptions/followers.service.js';
import { QueryInteger } from './query-integer.decorator.js';

const MAX_WAIT_MS = 5_000;

/** `?minPosition=`: read only once the view has processed this position (waiting at most 5 s). */
export class ProjectionReadQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    example: 42,
    description: 'Wait (at most 5 s) until the view has processed this position, e.g. the position a command returned',
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  minPosition?: number;
}

/**
 * Before a read from a view: waits for `minPosition` if asked, then tells the client how
 * far the view is in `X-Projection-Position` (views follow the log and may lag).
 */
export async function beforeProjectionRead(
  followers: FollowersService,
  follower: string,
  query: ProjectionReadQuery,
  response: Response,
): Promise<void> {
  const position = await followers.waitFor(follower, query.minPosition ?? 0, MAX_WAIT_MS);
  response.setHeader('X-Projection-Position', String(position));
}
