/** What main.ts keeps of a started SDK: to flush the spans still buffered at shutdown. */
export interface Tracing {
  /** Where spans go, for the start-up line. */
  endpoint: string;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-only
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: spans go over OTLP/HTTP in batches, and
 * the standard `OTEL_*` variables (headers, service name, resource attributes, sampler)
 * apply. Otherwise nothing is loaded and every span stays a no-op of the API.
 *
 * The SDK is imported here, only then: the app's spans are manual ones through
 * `@opentelemetry/api`, which pick up a provider registered at any time, so nothing
 * depends on loading the SDK before the modules it traces.
 */
export async function startTracing(): Promise<Tracing | undefined> {
  // The SDK reads the rest of its configuration from process.env itself.
  const { env } = process;
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return undefined;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  // "chronicle" unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES name the service.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': 'chronicle' }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // The async-hooks context manager and the W3C trace-context and baggage propagators.
  provider.register();
  return { endpoint, shutdown: () => provider.shutdown() };
}
