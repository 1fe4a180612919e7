import { Applies } from '../domain/applies.decorator.js';
import { DomainEvent } from '../domain/domain-event.decorator.js';
import { EventSourcedAggregate } from '../domain/event-sourced-aggregate.js';
import { assertSnapshotRoundTrip } from './snapshot-round-trip.js';

@DomainEvent('TestRoundTripBooked')
class Booked {
  constructor(
    readonly guest: string,
    readonly nights: number,
  ) {}
}

class Booking extends EventSourcedAggregate {
  guest = '';
  nights = 0;
  private readonly guests = new Set<string>();

  @Applies(Booked)
  onBooked(event: Booked): void {
    this.guest = event.guest;
    this.nights += event.nights;
    this.guests.add(event.guest);
  }
}

/** A hand-written snapshot that forgets the set of guests. */
class ForgetfulBooking extends Booking {
  protected override toSnapshot(): Record<string, unknown> {
    return { guest: this.guest, nights: this.nights };
  }

  protected override restore(state: Record<string, unknown>): void {
    this.guest = state.guest as string;
    this.nights = state.nights as number;
  }
}

function built<A extends EventSourcedAggregate>(aggregate: A, ...events: object[]): A {
  aggregate.replay(events.map((event, i) => ({ event, version: i + 1, recordedAt: new Date(0) })));
  return aggregate;
}

describe('assertSnapshotRoundTrip', () => {
  it('passes when the restored aggregate has every field as it was', () => {
    expect(() => assertSnapshotRoundTrip(built(new Booking('b-1'), new Booked('Ada', 2)))).not.toThrow();
  });

  it('fails on a field a hand-written snapshot forgets, naming it', () => {
    expect(() => assertSnapshotRoundTrip(built(new ForgetfulBooking('b-1'), new Booked('Ada', 2)))).toThrow(
      "ForgetfulBooking does not come back from its snapshot as it was:\n  guests is Set(1) { 'Ada' }, restored Set(0) {}",
    );
  });

  it('fails, for a hand-written snapshot, on a field no event changed, which it could not tell kept from lost', () => {
    expect(() => assertSnapshotRoundTrip(built(new ForgetfulBooking('b-1'), new Booked('', 2)))).toThrow(
      "ForgetfulBooking does not come back from its snapshot as it was:\n  guest is still '', as on a new ForgetfulBooking: no event changed it",
    );
  });

  it('asks no event per field of the default snapshot, which keeps every field', () => {
    expect(() => assertSnapshotRoundTrip(built(new Booking('b-1'), new Booked('', 2)))).not.toThrow();
  });
});
