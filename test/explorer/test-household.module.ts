import { Module } from '@nestjs/common';
import { Applies, DomainEvent, EventSourcedAggregate, type SnapshotSettings } from '#event-sourcing/domain';
import { EventSourcingModule } from '#event-sourcing';

export const ERASED_NAME = '(erased)';

@DomainEvent('ExplorerTestHouseholdNamed', { personal: { name: ERASED_NAME } })
export class HouseholdNamed {
  constructor(readonly name: string) {}
}

/**
 * A test-only aggregate named by personal data: the explorer lists its streams by the name
 * its `displayName` gives. With snapshots, so that its latest state is cached too.
 */
export class Household extends EventSourcedAggregate {
  static readonly streamType = 'ExplorerTestHousehold';
  static readonly events = [HouseholdNamed];
  static readonly snapshots: SnapshotSettings = { version: 1, every: 2, personal: { name: ERASED_NAME } };

  static displayName(household: Household): string | undefined {
    return household.name || undefined;
  }

  name = '';

  @Applies(HouseholdNamed)
  onNamed(event: HouseholdNamed): void {
    this.name = event.name;
  }
}

@Module({ imports: [EventSourcingModule.forFeature([Household])] })
export class TestHouseholdModule {}
