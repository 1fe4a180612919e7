import { Module } from '@nestjs/common';
import { Applies, DomainEvent, EventSourcedAggregate } from '#event-sourcing/domain';
import { EventSourcingModule } from '#event-sourcing';

/** A reading in kWh; schema version 1 stored watt-hours, so stored v1 events are upcast on every read. */
@DomainEvent('ExplorerTestMeterRead', { version: 2, upcasters: { 1: (v1) => ({ kwh: (v1.wh as number) / 1000 }) } })
export class MeterRead {
  constructor(readonly kwh: number) {}
}

/** A test-only aggregate, so that the explorer's tests need no example context. */
export class Meter extends EventSourcedAggregate {
  static readonly streamType = 'ExplorerTestMeter';
  static readonly events = [MeterRead];

  total = 0;
  private readonly readings: number[] = [];

  @Applies(MeterRead)
  onMeterRead(event: MeterRead): void {
    this.total += event.kwh;
    this.readings.push(event.kwh);
  }
}

@Module({ imports: [EventSourcingModule.forFeature([Meter])] })
export class TestMeterModule {}
