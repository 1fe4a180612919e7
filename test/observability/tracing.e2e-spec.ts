/**
 * Traces (OPERATIONS.md, "Traces"): with no SDK registered nothing is traced and events
 * carry no trace context; with one (an in-memory exporter), one transfer makes one trace,
 * from the request through every command, append and step of the process manager.
 * Through NATS: test/broker/tracing.e2e-spec.ts.
 */
import request from 'supertest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { AccountsApi } from '../support/accounts-api.js';
import { InMemoryTracing, orphans, parentOf, spanOfTraceparent } from '../support/in-memory-tracing.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const tracing = new InMemoryTracing();
let app: TestApp;
let api: AccountsApi;

beforeAll(async () => {
  app = await createTestApp();
  api = new AccountsApi(app.http);
});
afterAll(async () => {
  await app?.close();
  await tracing.stop();
});

describe('with no tracing SDK registered', () => {
  it('writes no traceparent into event metadata, and records nothing', async () => {
    const id = await api.open({ owner: 'Untraced' });
    await api.deposited(id, 500);
    const events = await api.events(id);
    expect(events.map((e) => Object.keys(e.metadata).includes('traceparent'))).toEqual([false, false]);
    expect(tracing.exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('with a tracing SDK registered', () => {
  beforeAll(() => tracing.start());

  it("traces one transfer as one trace, continuing the caller's traceparent", async () => {
    const from = await api.open({ owner: 'Traced sender' });
    await api.deposited(from, 1_000);
    const to = await api.open({ owner: 'Traced receiver' });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const response = await api.post(
      '/transfers',
      { fromAccountId: from, toAccountId: to, amount: 300 },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(response.status).toBe(202);
    const transferId = response.body.id as string;
    await until(
      () => request(app.http).get(`/transfers/${transferId}`),
      (answer) => answer.body.status === 'completed',
      `transfer ${transferId} to complete`,
    );

    // Until the last command was traced and every span's parent ended too: the trace is whole.
    const spans = await tracing.trace(
      traceId,
      (found) =>
        found.some((s) => s.name === 'command CompleteTransfer') && orphans(found, 'POST /transfers').length === 0,
      'the whole trace of the transfer',
    );
    const one = (name: string, follower?: string): ReadableSpan => {
      const found = spans.filter(
        (s) => s.name === name && (!follower || s.attributes['chronicle.follower'] === follower),
      );
      expect({ name, follower, count: found.length }).toEqual({ name, follower, count: 1 });
      return found[0];
    };
    const parent = (span: ReadableSpan) => parentOf(span, spans);

    // The request continues the caller's trace and is the parent of its command.
    const http = one('POST /transfers');
    expect(http.parentSpanContext?.spanId).toBe(callerSpanId);
    expect(http.attributes).toMatchObject({ 'http.route': '/transfers', 'http.response.status_code': 202 });
    expect(parent(one('command RequestTransfer'))).toBe(http);

    // Each step: the process manager handles the event under the append that stored it,
    // and the command it sends, with its own append, hangs below that.
    const chain: [string, string, string][] = [
      ['command RequestTransfer', 'handle TransferRequested', 'command SendTransfer'],
      ['command SendTransfer', 'handle TransferSent', 'command MarkTransferDebited'],
      ['command MarkTransferDebited', 'handle TransferDebited', 'command ReceiveTransfer'],
      ['command ReceiveTransfer', 'handle TransferReceived', 'command RecordTransferDelivered'],
    ];
    for (const [command, handling, next] of chain) {
      const append = spans.find((s) => s.name.startsWith('append ') && parent(s) === one(command));
      const handled = one(handling, 'transfer-process');
      expect({ handling, parent: parent(handled)?.name }).toEqual({ handling, parent: append?.name });
      expect(parent(handled)).toBe(append);
      expect(parent(one(next))).toBe(handled);
    }
    expect(parent(one('command CompleteTransfer'))).toBe(one('handle TransferReceived', 'transfer-process'));

    // The events carry the context of the append that stored them.
    const log = (await api.wholeLog()).filter((e) => e.streamId === transferId || e.data.transferId === transferId);
    expect(log.map((e) => [e.type, spanOfTraceparent(e.metadata, spans)?.name])).toEqual([
      ['TransferRequested', 'append Transfer'],
      ['TransferSent', 'append Account'],
      ['TransferDebited', 'append Transfer'],
      ['TransferReceived', 'append Account'],
      ['TransferDelivered', 'append Account'],
      ['TransferCompleted', 'append Transfer'],
    ]);

    // A projection takes batches, which span several traces: its span is a trace of its
    // own, linked to the append of each event of the batch.
    const received = spanOfTraceparent(log[3].metadata, spans)!;
    const batch = await until(
      async () =>
        tracing.exporter
          .getFinishedSpans()
          .find(
            (s) =>
              s.name === 'handle batch' &&
              s.attributes['chronicle.follower'] === 'account-summaries' &&
              s.links.some((link) => link.context.spanId === received.spanContext().spanId),
          ),
      (found) => found !== undefined,
      'the account-summaries batch span linked to the append of TransferReceived',
    );
    expect(batch!.spanContext().traceId).not.toBe(traceId);
  });
});
