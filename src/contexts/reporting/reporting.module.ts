import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DailyTotal } from './infrastructure/daily-totals/daily-total.entity.js';
import { DailyTotalsConsumer } from './infrastructure/daily-totals/daily-totals.consumer.js';
import { GetDailyTotalsHandler } from './infrastructure/daily-totals/get-daily-totals.handler.js';
import { ReportsController } from './interface/reports.controller.js';

/**
 * The reporting bounded context: reports built from other contexts' events as NATS
 * JetStream delivers them (src/broker), not from this app's log. Without NATS its views
 * stay empty.
 */
@Module({
  imports: [TypeOrmModule.forFeature([DailyTotal])],
  controllers: [ReportsController],
  providers: [DailyTotalsConsumer, GetDailyTotalsHandler],
})
export class ReportingModule {}
