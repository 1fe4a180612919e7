import { ROOT_CONTEXT, SpanKind, context, propagation, trace, type TextMapGetter } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import { eventTraceContext, inSpan, type StoredEvent } from '#event-sourcing';

const setter = { set: (headers: MsgHdrs, key: string, value: string) => headers.set(key, value) };
const getter: TextMapGetter<MsgHdrs | undefined> = {
  get: (headers, key) => (headers?.has(key) ? headers.get(key) : undefined),
  keys: (headers) => (headers ? [...headers.keys()] : []),
};

/**
 * Publishes a relayed event in a producer span that continues the trace of its append, and
 * puts that span's context into the message's headers (W3C `traceparent`, by the registered
 * propagator) for consumers to continue. An event appended untraced is published as it is.
 */
export function publishTraced<T>(
  event: StoredEvent,
  message: { subject: string; headers: MsgHdrs },
  publish: () => Promise<T>,
): Promise<T> {
  const parent = eventTraceContext(event.metadata);
  if (parent === undefined) return publish();
  const attributes = {
    'messaging.system': 'nats',
    'messaging.operation.type': 'send',
    'messaging.destination.name': message.subject,
    'messaging.message.id': event.id,
  };
  return inSpan(
    `publish ${message.subject}`,
    { kind: SpanKind.PRODUCER, attributes },
    () => {
      propagation.inject(context.active(), message.headers, setter);
      return publish();
    },
    parent,
  );
}

/**
 * Runs the receipt of a message in a consumer span that continues the trace its headers
 * carry, so that what the receiver does joins the trace of the append far upstream; a
 * message without one is received without a span.
 */
export function receiveTraced<T>(
  consumer: string,
  message: { subject: string; headers?: MsgHdrs },
  receive: () => Promise<T>,
): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, message.headers, getter);
  if (trace.getSpanContext(parent) === undefined) return receive();
  const attributes = {
    'messaging.system': 'nats',
    'messaging.operation.type': 'process',
    'messaging.destination.name': message.subject,
    'messaging.consumer.group.name': consumer,
  };
  return inSpan(`process ${message.subject}`, { kind: SpanKind.CONSUMER, attributes }, receive, parent);
}
