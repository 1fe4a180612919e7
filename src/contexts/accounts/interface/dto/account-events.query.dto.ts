import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PageLimitQuery, QueryInteger } from '#event-sourcing/http';

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
