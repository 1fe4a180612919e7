import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace } from '@opentelemetry/api';
import { startTracing } from './start-tracing.js';

interface Export {
  path: string;
  body: {
    resourceSpans: {
      resource: { attributes: { key: string; value: { stringValue?: string } }[] };
      scopeSpans: { spans: { name: string }[] }[];
    }[];
  };
}

describe('startTracing', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('starts nothing without an OTLP endpoint: spans stay no-ops', async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    await expect(startTracing()).resolves.toBeUndefined();
    expect(trace.getTracer('chronicle').startSpan('nothing').isRecording()).toBe(false);
  });

  it('starts nothing when OTEL_SDK_DISABLED says so, endpoint or not', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
    process.env.OTEL_SDK_DISABLED = 'true';
    await expect(startTracing()).resolves.toBeUndefined();
  });

  describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    const exports: Export[] = [];
    let collector: Server;
    beforeAll(async () => {
      collector = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          exports.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) });
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise((resolve) => collector.close(resolve)));

    it('sends the spans over OTLP/HTTP to <endpoint>/v1/traces, as the service OTEL_SERVICE_NAME names', async () => {
      const { port } = collector.address() as AddressInfo;
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
      process.env.OTEL_SERVICE_NAME = 'chronicle-spec';
      const tracing = await startTracing();
      expect(tracing?.endpoint).toBe(`http://127.0.0.1:${port}`);
      trace.getTracer('chronicle').startSpan('command OpenAccount').end();
      // Shutdown flushes the batch: the export has arrived when it resolves.
      await tracing!.shutdown();
      expect(exports.map((e) => e.path)).toEqual(['/v1/traces']);
      const [{ resource, scopeSpans }] = exports[0].body.resourceSpans;
      expect(resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'chronicle-spec' } });
      expect(scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name))).toEqual(['command OpenAccount']);
    });
  });
});
