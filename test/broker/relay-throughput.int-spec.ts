/**
 * How fast the relay empties a backlog into JetStream (the figure in docs/SCALING.md): a
 * log of 20,000 events, then the whole app with NATS configured, timed from the relay's
 * first checkpoint move to its last; against a baseline in the same run, the same number
 * of messages of the same size published by a bare client in pages of 500. Also checks
 * that each event landed once.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { relayMessage } from '../../src/broker/relay/relay-message.js';
import { NATS_RELAY } from '../../src/broker/relay/nats-relay.follower.js';
import type { NewEvent, StoredEvent } from '#event-sourcing';
import { PostgresEventStore } from '#event-sourcing/postgres';
import { createMigratedDatabase } from '../support/test-database.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { JetStreamProbe, NATS_URL, uniqueStream } from './jetstream-harness.js';

const EVENTS = 20_000;
const PER_APPEND = 100;

const stream = uniqueStream();
const baseline = uniqueStream();
let probe: JetStreamProbe;
let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
let app: TestApp | undefined;

beforeAll(async () => {
  probe = await JetStreamProbe.open();
  database = await createMigratedDatabase();
});
afterAll(async () => {
  await app?.close();
  await probe?.close(stream, baseline);
  await database?.drop();
});

it(`relays a backlog of ${EVENTS.toLocaleString('en-US')} events, each once`, async () => {
  // A type no follower of the app handles, so that the relay is the only one working.
  const store = new PostgresEventStore(database.pool);
  const ids: string[] = [];
  for (let appended = 0; appended < EVENTS; appended += PER_APPEND) {
    const events: NewEvent[] = Array.from({ length: PER_APPEND }, (_, i) => ({
      id: randomUUID(),
      type: 'RelayThroughputNoted',
      schemaVersion: 1,
      data: { n: appended + i, note: 'x'.repeat(120) },
      metadata: { correlationId: randomUUID(), causationId: randomUUID() },
    }));
    ids.push(...events.map((e) => e.id));
    await store.append({ streamId: `noted-${appended}`, streamType: 'Notes', expectedVersion: 0, events });
  }
  const { rows } = await database.pool.query('SELECT max(position)::int AS head FROM events');
  const head: number = rows[0].head;

  const url = (database.dataSource.options as { url: string }).url;
  app = await createTestApp({
    database: { url, drop: async () => undefined },
    env: { NATS_URL, NATS_STREAM: stream },
  });
  const samples: { at: number; position: number }[] = [];
  for (let deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(20)) {
    const { rows: checkpoint } = await database.pool.query('SELECT position::int FROM followers WHERE name = $1', [
      NATS_RELAY,
    ]);
    const position: number = checkpoint[0]?.position ?? 0;
    if (position > 0 && samples.at(-1)?.position !== position) samples.push({ at: performance.now(), position });
    if (position === head) break;
  }
  expect(samples.at(-1)?.position).toBe(head);

  const [first, last] = [samples[0], samples.at(-1)!];
  const relayed = Math.round(((last.position - first.position) / (last.at - first.at)) * 1000);
  expect(await probe.messageIds(stream)).toEqual(ids);

  const bare = await publishBare(await store.readLog(0, EVENTS));
  console.info(
    `relay throughput: ${(last.position - first.position).toLocaleString('en-US')} events in ${((last.at - first.at) / 1000).toFixed(2)} s = ${relayed.toLocaleString('en-US')} events/s; a bare client publishing the same messages in pages of 500: ${bare.toLocaleString('en-US')} messages/s (${(relayed / bare).toFixed(2)}x)`,
  );
}, 240_000);

/** Messages/s of a client of its own publishing the relay's messages for `events`, 500 at a time, into another stream. */
async function publishBare(events: StoredEvent[]): Promise<number> {
  const connection = await connect({ servers: NATS_URL });
  try {
    await probe.manager.streams.add({ name: baseline, subjects: [`${baseline}.>`], duplicate_window: 600e9 });
    const client = jetstream(connection);
    const started = performance.now();
    for (let i = 0; i < events.length; i += 500) {
      await Promise.all(
        events.slice(i, i + 500).map((event) => {
          const message = relayMessage(event, baseline);
          return client.publish(message.subject, message.payload, { msgID: message.msgID, headers: message.headers });
        }),
      );
    }
    return Math.round((events.length / (performance.now() - started)) * 1000);
  } finally {
    await connection.close();
  }
}
