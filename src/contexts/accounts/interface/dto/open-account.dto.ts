import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO4217CurrencyCode, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { MAX_AMOUNT } from './money-amount.dto.js';

export class OpenAccountDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Ada Lovelace' })
  @IsString()
  @Length(1, 200)
  owner!: string;

  @ApiPropertyOptional({ default: 'EUR', example: 'EUR', description: 'ISO 4217 code' })
  @IsOptional()
  @IsISO4217CurrencyCode()
  currency: string = 'EUR';

  @ApiPropertyOptional({
    default: 0,
    minimum: 0,
    maximum: MAX_AMOUNT,
    description: 'How far below zero the balance may go, in minor units',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  overdraftLimit: number = 0;
}
