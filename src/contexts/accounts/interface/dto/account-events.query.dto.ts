import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QueryInteger } from '../../../../event-sourcing/http/query-integer.decorator.js';

export class AccountEventsQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  fromVersion: number = 1;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;
}
