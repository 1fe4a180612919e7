import { SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { eventTraceContext, eventTraceLinks, inSpan, traceMetadata } from './tracing.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('with no tracing SDK registered', () => {
  it('runs the work, and gives events no traceparent', async () => {
    await expect(inSpan('append', {}, async () => traceMetadata())).resolves.toEqual({});
  });
});

describe('with a tracing SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  beforeAll(() => provider.register());
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it("gives events the active span's traceparent, which a span of what they set off continues", async () => {
    const metadata = await inSpan('append', {}, async () => traceMetadata());
    const [append] = exporter.getFinishedSpans();
    const { traceId, spanId } = append.spanContext();
    expect(metadata).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });

    await inSpan('handle', {}, async () => undefined, eventTraceContext(metadata));
    const handled = exporter.getFinishedSpans()[1];
    expect(handled.spanContext().traceId).toBe(traceId);
    expect(handled.parentSpanContext?.spanId).toBe(spanId);
  });

  it('links a span to the traced events of a batch, and passes over the untraced', () => {
    const links = eventTraceLinks([{ metadata: { traceparent: TRACEPARENT } }, { metadata: {} }]);
    expect(links).toEqual([
      {
        context: {
          traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
          spanId: '00f067aa0ba902b7',
          traceFlags: 1,
          isRemote: true,
        },
      },
    ]);
  });

  it.each([
    undefined,
    42,
    '',
    'garbage',
    // another version, upper case, zero ids
    '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
  ])('takes a traceparent of %p for none', (traceparent) => {
    expect(eventTraceContext({ traceparent })).toBeUndefined();
  });

  it('marks a span whose work failed, and rethrows', async () => {
    await expect(
      inSpan('command', {}, () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refused' });
    expect(span.events.map((event) => event.name)).toEqual(['exception']);
  });
});
