import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO4217CurrencyCode, IsISO8601, IsOptional, IsUppercase, Matches } from 'class-validator';
import { PageLimitQuery } from '#event-sourcing/http';

const DAY = '$property must be a day such as 2026-11-27';

/** An optional `YYYY-MM-DD` that exists in the calendar (no 2026-02-30). */
const IsOptionalDay = () =>
  applyDecorators(
    IsOptional(),
    Matches(/^\d{4}-\d{2}-\d{2}$/, { message: DAY }),
    IsISO8601({ strict: true }, { message: DAY }),
  );

export class DailyTotalsQueryDto extends PageLimitQuery {
  @ApiPropertyOptional({ format: 'date', description: 'The first day (UTC), inclusive', example: '2026-11-01' })
  @IsOptionalDay()
  from?: string;

  @ApiPropertyOptional({ format: 'date', description: 'The last day (UTC), inclusive', example: '2026-11-30' })
  @IsOptionalDay()
  to?: string;

  @ApiPropertyOptional({
    description: 'Only this currency (ISO 4217, upper case)',
    pattern: '^[A-Z]{3}$',
    example: 'EUR',
  })
  @IsOptional()
  @IsISO4217CurrencyCode()
  @IsUppercase()
  currency?: string;
}
