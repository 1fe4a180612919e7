import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO4217CurrencyCode, IsInt, IsString, IsUppercase, Length, Max, Min, ValidateIf } from 'class-validator';
import { MAX_AMOUNT } from './money-amount.dto.js';
import { IsStorableText } from '#event-sourcing/http';

// Optional means absent, not null: @IsOptional() would let null through and store it.
const IfPresent = () => ValidateIf((_: unknown, value: unknown) => value !== undefined);

export class OpenAccountDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Ada Lovelace' })
  @IsString()
  @Length(1, 200)
  @IsStorableText()
  owner!: string;

  @ApiPropertyOptional({
    default: 'EUR',
    example: 'EUR',
    pattern: '^[A-Z]{3}$',
    description: 'ISO 4217 code, upper case',
  })
  @IfPresent()
  @IsISO4217CurrencyCode()
  // The check above ignores case; stored codes must not, or EUR and eur would differ.
  @IsUppercase()
  currency: string = 'EUR';

  @ApiPropertyOptional({
    type: 'integer',
    default: 0,
    example: 500,
    minimum: 0,
    maximum: MAX_AMOUNT,
    description: 'How far below zero the balance may go, in minor units',
  })
  @IfPresent()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  overdraftLimit: number = 0;
}
