import { ApiProperty } from '@nestjs/swagger';
import type { DailyTotal } from '../../infrastructure/daily-totals/daily-total.entity.js';

export class DailyTotalResponse {
  @ApiProperty({ description: 'The day (UTC) the events were recorded', example: '2026-11-27' }) day!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ description: 'Deposits that day', example: 3 }) depositCount!: number;
  @ApiProperty({ description: 'Their sum, in minor units', example: 15000 }) depositTotal!: number;
  @ApiProperty({ description: 'Withdrawals that day', example: 1 }) withdrawalCount!: number;
  @ApiProperty({ description: 'Their sum, in minor units', example: 2500 }) withdrawalTotal!: number;

  static of(total: DailyTotal): DailyTotalResponse {
    return {
      ...total,
      depositTotal: Number(total.depositTotal),
      withdrawalTotal: Number(total.withdrawalTotal),
    };
  }
}

export class DailyTotalsResponse {
  @ApiProperty({ type: [DailyTotalResponse] }) items!: DailyTotalResponse[];
}
