import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';
import { until } from './until.js';

/**
 * An OpenTelemetry SDK registered for a test file, its spans kept in memory: what the app
 * would export over OTLP. Register it after the untraced part of a file, stop it at the end.
 */
export class InMemoryTracing {
  readonly exporter = new InMemorySpanExporter();
  private provider?: NodeTracerProvider;

  start(): void {
    this.provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(this.exporter)] });
    this.provider.register();
  }

  async stop(): Promise<void> {
    await this.provider?.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  }

  /** The ended spans of one trace, once `done` holds for them; a failure shows every span ended so far. */
  trace(traceId: string, done: (spans: ReadableSpan[]) => boolean, what: string): Promise<ReadableSpan[]> {
    return until(
      async () => this.exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
      done,
      what,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; traced so far:\n${treeOf(this.exporter.getFinishedSpans())}`);
    });
  }
}

/** The span an event's `metadata.traceparent` names (its append's), among `spans`. */
export function spanOfTraceparent(metadata: Record<string, unknown>, spans: ReadableSpan[]): ReadableSpan | undefined {
  const [, , spanId] = String(metadata.traceparent).split('-');
  return spans.find((s) => s.spanContext().spanId === spanId);
}

/** The parent of `span` among `spans`. */
export function parentOf(span: ReadableSpan, spans: ReadableSpan[]): ReadableSpan | undefined {
  return spans.find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
}

/** The spans whose parent is not among them, but a trace's root (whose parent, if any, is the caller's). */
export function orphans(spans: ReadableSpan[], root: string): ReadableSpan[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  return spans.filter((s) => s.parentSpanContext && !ids.has(s.parentSpanContext.spanId) && s.name !== root);
}

/** The spans as an indented tree, by parent, for a failure to show what was traced. */
function treeOf(spans: ReadableSpan[]): string {
  const children = new Map<string, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : '';
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (key: string, depth: number) => {
    for (const span of children.get(key) ?? []) {
      const { traceId, spanId } = span.spanContext();
      lines.push(`${'  '.repeat(depth)}${span.name} [${traceId.slice(0, 6)}/${spanId.slice(0, 6)}]`);
      walk(spanId, depth + 1);
    }
  };
  walk('', 0);
  return lines.join('\n');
}
