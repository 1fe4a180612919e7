/**
 * The relay against the real NATS server: what it publishes (subjects, message ids,
 * headers, bodies), that a batch published again after a crash lands once, the type
 * filter, and an unreachable server shown as a failing follower.
 */
import { randomUUID } from 'node:crypto';
import type { StoredMsg } from '@nats-io/jetstream';
import { NatsConnector } from '../../src/broker/nats-connector.js';
import { NATS_RELAY, NatsRelay } from '../../src/broker/relay/nats-relay.follower.js';
import type { BrokerConfig } from '../../src/config/app-config.js';
import { DomainEvent } from '#event-sourcing/domain';
import { EventResponse } from '#event-sourcing/http';
import type { EventStore, StoredEvent } from '#event-sourcing';
import { freePort } from '../support/app-process.js';
import {
  appendNoted,
  checkpointOf,
  followerDatabase,
  startApp,
  waitForHead,
  waitUntil,
  type FollowerApp,
  type FollowerDatabase,
} from '../followers/followers-harness.js';
import { JetStreamProbe, brokerConfig, uniqueStream } from './jetstream-harness.js';

/** An event with a personal field, which the relay must not send. */
@DomainEvent('TestMemberJoined', { version: 1, personal: { name: '[erased]' } })
class MemberJoined {
  constructor(readonly name: string) {}
}

let db: FollowerDatabase;
let probe: JetStreamProbe;
const streams: string[] = [];
const apps: FollowerApp[] = [];

beforeAll(async () => {
  probe = await JetStreamProbe.open();
});
afterAll(async () => {
  await probe?.close(...streams);
});
beforeEach(async () => {
  db = await followerDatabase();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await db.drop();
});

/** An app whose only follower is the relay, with `config`. */
async function startRelay(config: BrokerConfig): Promise<FollowerApp> {
  const app = await startApp(db.url, [
    { provide: NatsConnector, useFactory: () => new NatsConnector(config) },
    NatsRelay,
  ]);
  apps.push(app);
  return app;
}

async function stop(app: FollowerApp): Promise<void> {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
}

function newStream(): string {
  const stream = uniqueStream();
  streams.push(stream);
  return stream;
}

/** A member joins through the app's store, so that their name is sealed as the app seals it. */
async function joinMember(store: EventStore, name: string): Promise<string> {
  const streamId = randomUUID();
  await store.append({
    streamId,
    streamType: 'TestMember',
    expectedVersion: 0,
    events: [
      {
        id: randomUUID(),
        type: 'TestMemberJoined',
        schemaVersion: 1,
        data: { ...new MemberJoined(name) },
        metadata: { correlationId: randomUUID(), causationId: randomUUID() },
      },
    ],
  });
  return streamId;
}

async function wholeLog(store: EventStore): Promise<StoredEvent[]> {
  return store.readLog(0, 10_000);
}

const header = (message: StoredMsg, name: string) => message.header.get(name);

describe('the NATS relay', () => {
  it('publishes every event once, in log order, under <stream>.<streamType>.<type> with the event id as message id', async () => {
    const stream = newStream();
    const app = await startRelay(brokerConfig(stream));
    await appendNoted(app.store, 1, 4);
    const member = await joinMember(app.store, 'Ada Lovelace');
    await appendNoted(app.store, 5, 3);
    const head = await waitForHead(db.pool, NATS_RELAY);
    const log = await wholeLog(app.store);
    expect(log).toHaveLength(8);
    expect(head).toBe(log.at(-1)!.position);

    const messages = await probe.messages(stream);
    expect(messages.map((m) => header(m, 'Nats-Msg-Id'))).toEqual(log.map((e) => e.id));
    expect(messages.map((m) => m.subject)).toEqual(
      log.map((e) =>
        e.type === 'TestMemberJoined'
          ? `${stream}.TestMember.TestMemberJoined`
          : `${stream}.TestNotes.TestFollowerNoted`,
      ),
    );
    for (const [i, event] of log.entries()) {
      const message = messages[i];
      expect({
        type: header(message, 'Chronicle-Type'),
        schemaVersion: header(message, 'Chronicle-Schema-Version'),
        streamId: header(message, 'Chronicle-Stream-Id'),
        streamType: header(message, 'Chronicle-Stream-Type'),
        version: header(message, 'Chronicle-Version'),
        position: header(message, 'Chronicle-Position'),
        correlationId: header(message, 'Chronicle-Correlation-Id'),
        causationId: header(message, 'Chronicle-Causation-Id'),
        recordedAt: header(message, 'Chronicle-Recorded-At'),
        contentType: header(message, 'Content-Type'),
      }).toEqual({
        type: event.type,
        schemaVersion: String(event.schemaVersion),
        streamId: event.streamId,
        streamType: event.streamType,
        version: String(event.version),
        position: String(event.position),
        correlationId: event.metadata.correlationId,
        causationId: event.metadata.causationId,
        recordedAt: event.recordedAt.toISOString(),
        contentType: 'application/json',
      });
    }

    // Bodies are the events as GET /notifications serves them, but the member's name stays home.
    const joined = log.find((e) => e.streamId === member)!;
    expect(joined.data.name).toBe('Ada Lovelace');
    const bodies = messages.map((m) => m.json<EventResponse>());
    expect(bodies).toEqual(
      log.map((e) => EventResponse.of(e === joined ? { ...e, data: { ...e.data, name: '[erased]' } } : e)),
    );
    const joinedMessage = messages[log.indexOf(joined)];
    expect(header(joinedMessage, 'Chronicle-Personal-Withheld')).toBe('name');
    expect(messages.filter((m) => header(m, 'Chronicle-Personal-Withheld') !== '')).toHaveLength(1);
    expect(messages.some((m) => m.string().includes('Ada Lovelace'))).toBe(false);

    const { config } = await probe.manager.streams.info(stream);
    expect(config.subjects).toEqual([`${stream}.>`]);
    expect(config.duplicate_window).toBe(600 * 1e9);
  });

  it('publishes a batch again after a crash before its checkpoint, and JetStream keeps each event once', async () => {
    const stream = newStream();
    const config = brokerConfig(stream);
    let app = await startRelay(config);
    for (let n = 0; n < 30; n += 5) await appendNoted(app.store, n, 5);
    const head = await waitForHead(db.pool, NATS_RELAY);
    const before = await probe.messages(stream);
    expect(before).toHaveLength(30);
    await stop(app);

    // Published, checkpoint lost: as if the process died right after JetStream's acks.
    await db.pool.query('UPDATE followers SET position = 0 WHERE name = $1', [NATS_RELAY]);
    app = await startRelay(config);
    await appendNoted(app.store, 30, 2);
    await waitUntil(
      'the relay to reach the new head',
      () => checkpointOf(db.pool, NATS_RELAY),
      (checkpoint) => checkpoint > head,
    );
    const after = await probe.messages(stream);
    const log = await wholeLog(app.store);
    expect(after.map((m) => header(m, 'Nats-Msg-Id'))).toEqual(log.map((e) => e.id));
    expect(after.slice(0, 30).map((m) => m.seq)).toEqual(before.map((m) => m.seq));
    expect(new Set(after.map((m) => header(m, 'Nats-Msg-Id'))).size).toBe(32);
  });

  it('publishes only the types NATS_RELAY_TYPES lists, and moves its checkpoint past the others', async () => {
    const stream = newStream();
    const app = await startRelay(brokerConfig(stream, { NATS_RELAY_TYPES: 'TestMemberJoined' }));
    await appendNoted(app.store, 1, 3);
    const member = await joinMember(app.store, 'Grace Hopper');
    await appendNoted(app.store, 4, 3);
    await waitForHead(db.pool, NATS_RELAY);
    const messages = await probe.messages(stream);
    expect(messages.map((m) => [m.subject, header(m, 'Chronicle-Stream-Id')])).toEqual([
      [`${stream}.TestMember.TestMemberJoined`, member],
    ]);
  });

  it('shows an unreachable NATS as a failing follower that keeps its checkpoint', async () => {
    const config = { ...brokerConfig(newStream()), servers: [`nats://127.0.0.1:${await freePort()}`] };
    const app = await startRelay(config);
    await appendNoted(app.store, 1, 2);
    const status = await waitUntil(
      'the relay to report its failure',
      () => app.status(NATS_RELAY),
      (s) => s.status === 'failing',
    );
    expect(status.checkpoint).toBe(0);
    expect(status.lastError).toMatchObject({ position: (await wholeLog(app.store))[0].position });
  });
});
