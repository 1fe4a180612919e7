import { ApiProperty } from '@nestjs/swagger';
import type { DailyTotalView } from '../../application/daily-totals/get-daily-totals.query.js';

export class DailyTotalResponse {
  @ApiProperty({ format: 'date', description: 'The day (UTC) the events were recorded', example: '2026-11-27' })
  day!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ type: 'integer', description: 'Deposits that day', example: 3 }) depositCount!: number;
  @ApiProperty({ type: 'integer', description: 'Their sum, in minor units', example: 15000 }) depositTotal!: number;
  @ApiProperty({ type: 'integer', description: 'Withdrawals that day', example: 1 }) withdrawalCount!: number;
  @ApiProperty({ type: 'integer', description: 'Their sum, in minor units', example: 2500 }) withdrawalTotal!: number;

  static of(total: DailyTotalView): DailyTotalResponse {
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
