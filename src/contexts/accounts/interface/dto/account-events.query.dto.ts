import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageLimitQuery } from '../../../../event-sourcing/http/page-limit.query.js';
import { QueryInteger } from '../../../../event-sourcing/http/query-integer.decorator.js';

export class AccountEventsQueryDto extends PageLimitQuery {
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
