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

  /** The plain data of stored events, one per event, in order. */
  abstract decode(events: readonly DecodableEvent[]): Promise<Record<string, unknown>[]>;
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
