import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsInt, IsOptional, Max, Min, ValidateBy } from 'class-validator';
import { PageLimitQuery } from './page-limit.query.js';
import { QueryInteger } from './query-integer.decorator.js';

// ISO 8601 also has week dates (2026-W48-5) and ordinal dates (2026-331) that Date cannot read.
const IsReadableByDate = () =>
  ValidateBy({
    name: 'isReadableByDate',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value)),
      defaultMessage: () => 'asOf must be a calendar date and time, such as 2026-11-27T10:00:00.000Z',
    },
  });

// Both pick one past state: which one a client meant cannot be guessed, so it must say.
const NotWithVersion = () =>
  ValidateBy({
    name: 'notWithVersion',
    validator: {
      validate: (_value: unknown, args) => (args?.object as { version?: unknown }).version === undefined,
      defaultMessage: () => 'asOf and version both pick a past state: send one of them',
    },
  });

/** `?version=` or `?asOf=` of a read of one aggregate: time travel to a past state (a `PointInTime`). */
export class PointInTimeQuery {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'The state right after this event version; 404 past the current one',
    minimum: 1,
    maximum: 2_147_483_647,
    example: 2,
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version?: number;

  @ApiPropertyOptional({
    description:
      "The state as of this instant: every event recorded at or before it (to the millisecond; an event's own recordedAt includes it); 404 if it did not exist yet. Not with version (400)",
    format: 'date-time',
    example: '2026-11-27T12:45:02.240Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  @IsReadableByDate()
  @NotWithVersion()
  asOf?: string;
}

/** `?fromVersion=&limit=` of a page of one stream's events. */
export class StreamEventsQuery extends PageLimitQuery {
  @ApiPropertyOptional({
    type: 'integer',
    default: 1,
    minimum: 1,
    maximum: 2_147_483_647,
    description: 'The first version to return',
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  fromVersion: number = 1;
}
