import { UnreadableEventError } from '../domain/errors.js';
import { EventRegistry } from '../domain/event-registry.js';
import type { SubjectKeys } from '../personal-data/personal-data-keys.js';
import { PayloadDecodeError, type Payload, type PayloadCodec } from './payload-codec.js';

/** What the codec needs of an event to encode its data for storage. */
export interface EncodableEvent {
  id: string;
  type: string;
  streamId: string;
  data: Record<string, unknown>;
}

/** A stored row's data as it is in the `data` column, with what names the event in errors. */
export interface DecodableEvent extends EncodableEvent {
  position: number;
  schemaVersion: number;
}

/**
 * Turns event data into what the `data` column stores and back: the seam where payload
 * compression, encryption and personal-data encryption happen. Routing columns (type,
 * stream, version, position, metadata) never pass through it and stay readable.
 */
export abstract class EventCodec {
  /** The values to store in `data`, one per event, in order. */
  abstract encode(events: readonly EncodableEvent[]): Promise<Record<string, unknown>[]>;

  /**
   * The plain data of stored events, one per event, in order.
   * @param keys the personal-data keys of the events' streams, read with the events (see {@link PayloadCodec.decode})
   */
  abstract decode(events: readonly DecodableEvent[], keys?: SubjectKeys): Promise<Record<string, unknown>[]>;
}

/** Stores data as it is: the codec when neither encryption nor compression is configured. */
export class PlainEventCodec extends EventCodec {
  encode(events: readonly EncodableEvent[]): Promise<Record<string, unknown>[]> {
    return Promise.resolve(events.map((event) => event.data));
  }

  decode(events: readonly DecodableEvent[]): Promise<Record<string, unknown>[]> {
    return Promise.resolve(events.map((event) => event.data));
  }
}

/** Events through a {@link PayloadCodec}: bound to their event id, personal fields of their stream's subject. */
export class PayloadEventCodec extends EventCodec {
  constructor(private readonly payloads: PayloadCodec) {
    super();
  }

  encode(events: readonly EncodableEvent[]): Promise<Record<string, unknown>[]> {
    return this.payloads.encode(events.map(toPayload));
  }

  /** @throws UnreadableEventError naming the event whose data does not decode */
  async decode(events: readonly DecodableEvent[], keys?: SubjectKeys): Promise<Record<string, unknown>[]> {
    try {
      return await this.payloads.decode(events.map(toPayload), keys);
    } catch (error) {
      if (!(error instanceof PayloadDecodeError)) throw error;
      const event = events[error.index];
      throw new UnreadableEventError(event.position, event.type, event.schemaVersion, error.message);
    }
  }
}

// The data subject of an event's personal fields is its stream: keep a person's data in a stream of their own.
const toPayload = (event: EncodableEvent): Payload => ({
  aad: `event/${event.id}`,
  subject: event.streamId,
  personal: EventRegistry.lookup(event.type)?.personal,
  data: event.data,
});
