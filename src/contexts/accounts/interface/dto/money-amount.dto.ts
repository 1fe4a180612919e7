import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export const MAX_AMOUNT = 1_000_000_000_000;

/** The body of deposits and withdrawals. */
export class MoneyAmountDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_AMOUNT, example: 2500, description: 'Minor units (cents)' })
  @IsInt()
  @Min(1)
  @Max(MAX_AMOUNT)
  amount!: number;
}
