/**
 * Traces through NATS (OPERATIONS.md, "Traces"): the relay publishes each traced event in
 * a span that continues the trace of its append and puts that span's context into the
 * message headers, and an inbox consumer continues it from there. Untraced events leave
 * without one. The trace of the request itself: test/observability/tracing.e2e-spec.ts.
 */
import { AccountsApi } from '../support/accounts-api.js';
import { InMemoryTracing, parentOf, spanOfTraceparent } from '../support/in-memory-tracing.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { until } from '../support/until.js';
import { JetStreamProbe, NATS_URL, uniqueStream } from './jetstream-harness.js';

const stream = uniqueStream();
const tracing = new InMemoryTracing();
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
  await tracing.stop();
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

/** Opens an account and deposits into it: the account's two events. */
async function openAndDeposit(owner: string) {
  const id = await api.open({ owner });
  await api.deposited(id, 700);
  return api.events(id);
}

it('relays untraced events without a traceparent header', async () => {
  const events = await openAndDeposit('Untraced');
  const messages = await relayed(events.map((e) => e.id));
  expect(events.map((e) => messages.get(e.id)!.header.has('traceparent'))).toEqual([false, false]);
});

it('continues the trace of a relayed event in a publish span, its headers, and the inbox that receives it', async () => {
  tracing.start();
  const [opened, deposited] = await openAndDeposit('Traced depositor');
  const [, traceId] = String(deposited.metadata.traceparent).split('-');
  const processed = `process ${stream}.Account.MoneyDeposited`;
  const spans = await tracing.trace(traceId, (found) => found.some((s) => s.name === processed), 'the inbox span');
  const publish = spans.find((s) => s.name === `publish ${stream}.Account.MoneyDeposited`)!;
  expect(publish.attributes['messaging.message.id']).toBe(deposited.id);
  expect(parentOf(publish, spans)).toBe(spanOfTraceparent(deposited.metadata, spans));

  const messages = await relayed([opened.id, deposited.id]);
  expect(messages.get(deposited.id)!.header.get('traceparent')).toBe(
    `00-${traceId}-${publish.spanContext().spanId}-01`,
  );

  const received = spans.find((s) => s.name === processed)!;
  expect(parentOf(received, spans)).toBe(publish);
  expect(received.attributes['messaging.consumer.group.name']).toBe('reporting-daily-totals');
});
