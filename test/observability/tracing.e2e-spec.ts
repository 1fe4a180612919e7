/**
 * Traces (OPERATIONS.md, "Tracing"): with no SDK registered nothing is traced and events
 * carry no trace context; with one (here an in-memory exporter), one transfer makes one
 * trace, from the request through every command, append, follower, the NATS relay and
 * the inbox that receives the relayed events.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-node';
import request from 'supertest';
import { AccountsApi, type EventBody } from '../support/accounts-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { JetStreamProbe, NATS_URL, uniqueStream } from '../broker/jetstream-harness.js';

const stream = uniqueStream();
const exporter = new InMemorySpanExporter();
let provider: NodeTracerProvider | undefined;
let app: TestApp;
let api: AccountsApi;
let probe: JetStreamProbe;

beforeAll(async () => {
  probe = await JetStreamProbe.open();
  app = await createTestApp({ env: { NATS_URL, NATS_STREAM: stream, FOLLOWER_POLL_MS: '100' } });
  api = new AccountsApi(app.http);
});
afterAll(async () => {
  await app?.close();
  await probe?.close(stream);
  await provider?.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

/** The relayed message of each event id, once JetStream holds all of `ids`. */
async function relayed(ids: string[]) {
  const messages = await until(
    // The relay creates the stream with its first batch.
    () =>
      probe
        .messages(stream)
        .catch((error: Error) => (error.name === 'StreamNotFoundError' ? [] : Promise.reject(error))),
    (all) => ids.every((id) => all.some((m) => m.header.get('Nats-Msg-Id') === id)),
    `the relay to publish ${ids.join(', ')}`,
  );
  return new Map(messages.map((m) => [m.header.get('Nats-Msg-Id'), m]));
}

const settledTransfer = (id: string) =>
  until(
    () => request(app.http).get(`/transfers/${id}`),
    (response) => response.status === 200 && ['completed', 'failed'].includes(response.body.status),
    `transfer ${id} to settle`,
  );

describe('with no tracing SDK registered', () => {
  it('writes no traceparent into event metadata or relayed messages, and records nothing', async () => {
    const id = await api.open({ owner: 'Untraced' });
    await api.deposited(id, 500);
    const events = await api.events(id);
    expect(events.map((e) => e.metadata)).toEqual([
      expect.not.objectContaining({ traceparent: expect.anything() }),
      expect.not.objectContaining({ traceparent: expect.anything() }),
    ]);
    const messages = await relayed(events.map((e) => e.id));
    for (const event of events) expect(messages.get(event.id)!.header.has('traceparent')).toBe(false);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('with a tracing SDK registered', () => {
  beforeAll(() => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
  });

  it("traces one transfer as one trace, from the caller's traceparent to the last relayed event", async () => {
    const from = await api.open({ owner: 'Traced sender' });
    await api.deposited(from, 1_000);
    const to = await api.open({ owner: 'Traced receiver' });
    // The caller's own trace, which the request continues.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const response = await api.post(
      '/transfers',
      { fromAccountId: from, toAccountId: to, amount: 300 },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(response.status).toBe(202);
    const transferId = response.body.id as string;
    expect((await settledTransfer(transferId)).body.status).toBe('completed');

    const steps = [
      'command RequestTransfer',
      'command SendTransfer',
      'command MarkTransferDebited',
      'command ReceiveTransfer',
      'command RecordTransferDelivered',
      'command CompleteTransfer',
      `publish ${stream}.Transfer.TransferCompleted`,
    ];
    // Until every step was traced and every span's parent ended too: the trace is whole.
    const spans = await until(
      async () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
      (found) => steps.every((name) => found.some((s) => s.name === name)) && orphans(found).length === 0,
      'the whole trace of the transfer',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; traced so far:\n${treeOf(exporter.getFinishedSpans())}`);
    });
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (span: ReadableSpan) => byId.get(span.parentSpanContext?.spanId ?? '');
    const one = (name: string, follower?: string) => {
      const found = spans.filter(
        (s) => s.name === name && (!follower || s.attributes['chronicle.follower'] === follower),
      );
      expect({ name, follower, count: found.length }).toEqual({ name, follower, count: 1 });
      return found[0];
    };

    // The request continues the caller's trace and is the parent of its command.
    const http = one('POST /transfers');
    expect(http.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(http.attributes).toMatchObject({ 'http.route': '/transfers', 'http.response.status_code': 202 });
    const requested = one('command RequestTransfer');
    expect(parentOf(requested)).toBe(http);

    // Each step: the process manager handles the event under the append that stored it,
    // and the command it sends, with its own append, hangs below that.
    const chain: [string, string, string][] = [
      ['command RequestTransfer', 'handle TransferRequested', 'command SendTransfer'],
      ['command SendTransfer', 'handle TransferSent', 'command MarkTransferDebited'],
      ['command MarkTransferDebited', 'handle TransferDebited', 'command ReceiveTransfer'],
      ['command ReceiveTransfer', 'handle TransferReceived', 'command RecordTransferDelivered'],
    ];
    for (const [command, handling, next] of chain) {
      const append = spans.find((s) => s.name.startsWith('append ') && parentOf(s) === one(command));
      const handled = one(handling, 'transfer-process');
      expect({ handling, parent: parentOf(handled)?.name }).toEqual({ handling, parent: append?.name });
      expect(parentOf(handled)).toBe(append);
      expect(parentOf(one(next))).toBe(handled);
    }
    expect(parentOf(one('command CompleteTransfer'))).toBe(one('handle TransferReceived', 'transfer-process'));

    // The events carry the context of the append that stored them.
    const log = (await api.wholeLog()).filter((e) => e.streamId === transferId || e.data.transferId === transferId);
    expect(log.map((e) => e.type)).toEqual([
      'TransferRequested',
      'TransferSent',
      'TransferDebited',
      'TransferReceived',
      'TransferDelivered',
      'TransferCompleted',
    ]);
    for (const event of log) expect(appendOf(event, byId)?.name).toMatch(/^append /);

    // The relay continues each event's trace in a producer span, whose context its message carries.
    const messages = await relayed(log.map((e) => e.id));
    for (const event of log) {
      const publish = spans.find(
        (s) => s.name.startsWith('publish ') && s.attributes['messaging.message.id'] === event.id,
      );
      expect(parentOf(publish!)).toBe(appendOf(event, byId));
      const header = messages.get(event.id)!.header.get('traceparent');
      expect(header).toBe(`00-${traceId}-${publish!.spanContext().spanId}-01`);
    }

    // Followers that take batches (projections, the relay) span several traces: their
    // span is a trace of its own, linked to the append of each event of the batch.
    const completed = log.find((e) => e.type === 'TransferCompleted')!;
    const relayBatch = await until(
      async () =>
        exporter
          .getFinishedSpans()
          .find(
            (s) =>
              s.name === 'handle batch' &&
              s.attributes['chronicle.follower'] === 'nats-relay' &&
              s.links.some((link) => link.context.spanId === appendOf(completed, byId)?.spanContext().spanId),
          ),
      (found) => found !== undefined,
      'the relay batch span linked to the append of TransferCompleted',
    );
    expect(relayBatch!.spanContext().traceId).not.toBe(traceId);
  });

  it('continues the trace of a relayed event in the inbox that receives it, from the message headers', async () => {
    const id = await api.open({ owner: 'Traced depositor' });
    const deposit = await api.deposited(id, 700);
    const event = (await api.logThrough(deposit.body.position as number)).find(
      (e) => e.position === deposit.body.position,
    )!;
    const [, traceId] = String(event.metadata.traceparent).split('-');
    const name = `process ${stream}.Account.MoneyDeposited`;
    const spans = await until(
      async () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
      (found) => found.some((s) => s.name === name),
      'the inbox to receive the deposit',
    );
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const received = spans.find((s) => s.name === name)!;
    const publish = byId.get(received.parentSpanContext!.spanId)!;
    expect(publish.name).toBe(`publish ${stream}.Account.MoneyDeposited`);
    expect(byId.get(publish.parentSpanContext!.spanId)).toBe(appendOf(event, byId));
    expect(received.attributes['messaging.consumer.group.name']).toBe('reporting-daily-totals');
  });
});

/** The spans whose parent is not among `spans`, but the request's (its parent is the caller's). */
function orphans(spans: ReadableSpan[]): ReadableSpan[] {
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  return spans.filter((s) => s.parentSpanContext && !ids.has(s.parentSpanContext.spanId) && !s.name.startsWith('POST'));
}

/** The append span named by an event's traceparent. */
function appendOf(event: EventBody, byId: Map<string, ReadableSpan>): ReadableSpan | undefined {
  const [, , spanId] = String(event.metadata.traceparent).split('-');
  return byId.get(spanId);
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
