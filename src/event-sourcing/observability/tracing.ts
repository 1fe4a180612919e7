import {
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
  isSpanContextValid,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';

/**
 * The machinery's spans, through the OpenTelemetry API only: with no SDK registered every
 * span is a no-op that records nothing, so tracing costs next to nothing until the app
 * (or a test) registers a tracer provider.
 */
export const tracer = trace.getTracer('chronicle');

/** The metadata field that carries the W3C trace context of the append that stored an event. */
export const TRACEPARENT = 'traceparent';

// W3C Trace Context, version 00: version-traceid-parentid-flags, lower-case hex.
const TRACEPARENT_FORMAT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Runs `work` in a new span, active for everything it awaits, and ends the span when it
 * settles; an error is recorded on the span and rethrown. `parent` is the active context
 * unless given. With no SDK registered the span is invalid, and `work` runs as it is: no
 * context to switch, no wrapper to await.
 */
export function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  const span = tracer.startSpan(name, options, parent);
  if (!isSpanContextValid(span.spanContext())) return work(span);
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work(span);
    } catch (error) {
      failed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` as failed by `error`. */
export function failed(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * The active span's context as event metadata: `{ traceparent }` inside a span of a
 * registered SDK, else nothing, so that events appended with tracing off carry no extra bytes.
 */
export function traceMetadata(): { traceparent?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  const { traceId, spanId, traceFlags } = spanContext;
  return { [TRACEPARENT]: `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}` };
}

/**
 * The context of the span that appended an event, from its metadata's `traceparent`, for
 * the spans of what the event sets off to continue its trace; undefined when the event was
 * appended untraced (tracing off, or before it was on) or the value is malformed.
 */
export function eventTraceContext(metadata: Record<string, unknown>): Context | undefined {
  const match = typeof metadata[TRACEPARENT] === 'string' ? TRACEPARENT_FORMAT.exec(metadata[TRACEPARENT]) : null;
  if (!match) return undefined;
  const spanContext = { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16), isRemote: true };
  if (!isSpanContextValid(spanContext)) return undefined;
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/** Links to the appends of `events` that were traced: what a span over a batch of several traces points to. */
export function eventTraceLinks(events: { metadata: Record<string, unknown> }[]): Link[] {
  const links: Link[] = [];
  for (const event of events) {
    const parent = eventTraceContext(event.metadata);
    const spanContext = parent && trace.getSpanContext(parent);
    if (spanContext) links.push({ context: spanContext });
  }
  return links;
}
