import { headers, type MsgHdrs } from '@nats-io/transport-node';
import { EventRegistry, type StoredEvent } from '#event-sourcing';
import { EventResponse } from '#event-sourcing/http';

/** The headers of every relayed message: what a consumer routes and traces by without parsing the body. */
export const RelayHeaders = {
  type: 'Chronicle-Type',
  schemaVersion: 'Chronicle-Schema-Version',
  streamId: 'Chronicle-Stream-Id',
  streamType: 'Chronicle-Stream-Type',
  version: 'Chronicle-Version',
  position: 'Chronicle-Position',
  correlationId: 'Chronicle-Correlation-Id',
  causationId: 'Chronicle-Causation-Id',
  recordedAt: 'Chronicle-Recorded-At',
  /** The personal fields the body carries as their erased value instead of the data. */
  withheld: 'Chronicle-Personal-Withheld',
} as const;

export interface RelayMessage {
  subject: string;
  /** The event id: JetStream drops a second message with the same id within its duplicate window. */
  msgID: string;
  headers: MsgHdrs;
  /** The event as `GET /notifications` serves it, personal fields withheld. */
  payload: string;
}

// Subject tokens are split on dots and may not hold wildcards or whitespace.
const token = (name: string) => name.replace(/[^A-Za-z0-9_-]/g, '_');

/** `<stream>.<streamType>.<type>`: consumers filter by stream type (`chronicle.Account.>`) or one event type. */
export function relaySubject(stream: string, streamType: string, type: string): string {
  return `${stream}.${token(streamType)}.${token(type)}`;
}

/**
 * The message for one event. Personal fields leave as the value their type declares for
 * erased data, so that no copy of them reaches the broker, where erasing a subject's key
 * could not reach them; a consumer that needs them asks the owning context.
 */
export function relayMessage(event: StoredEvent, stream: string): RelayMessage {
  const personal = EventRegistry.lookup(event.type)?.personal ?? {};
  const withheld = Object.keys(personal).filter((field) => event.data[field] !== undefined);
  const data = withheld.length === 0 ? event.data : { ...event.data };
  for (const field of withheld) data[field] = personal[field];

  const h = headers();
  h.set('Content-Type', 'application/json');
  h.set(RelayHeaders.type, event.type);
  h.set(RelayHeaders.schemaVersion, String(event.schemaVersion));
  h.set(RelayHeaders.streamId, event.streamId);
  h.set(RelayHeaders.streamType, event.streamType);
  h.set(RelayHeaders.version, String(event.version));
  h.set(RelayHeaders.position, String(event.position));
  // Events appended by hand or by older code may lack them.
  if (typeof event.metadata.correlationId === 'string') h.set(RelayHeaders.correlationId, event.metadata.correlationId);
  if (typeof event.metadata.causationId === 'string') h.set(RelayHeaders.causationId, event.metadata.causationId);
  h.set(RelayHeaders.recordedAt, event.recordedAt.toISOString());
  if (withheld.length > 0) h.set(RelayHeaders.withheld, withheld.join(','));
  return {
    subject: relaySubject(stream, event.streamType, event.type),
    msgID: event.id,
    headers: h,
    payload: JSON.stringify(EventResponse.of({ ...event, data })),
  };
}
