import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { DomainEvent, UnreadableEventError } from '#event-sourcing/domain';
import { PersonalDataKeys, PayloadEventCodec, PayloadCodec, type PayloadCodecOptions } from '#event-sourcing';
import { PostgresEventStore, PostgresSnapshotStore } from '#event-sourcing/postgres';
import { newEvent } from '../support/event-store-contract.js';
import { createMigratedDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

@DomainEvent('PatientAdmitted', { personal: { name: '(erased)', notes: null } })
class PatientAdmitted {}
void PatientAdmitted;

const key = (id: string) => ({ id, key: randomBytes(32) });
const k1 = key('k1');
const k2 = key('k2');

let database: Awaited<ReturnType<typeof createMigratedDatabase>>;
beforeAll(async () => (database = await createMigratedDatabase()));
afterAll(() => database.drop());

const storeWith = (options: PayloadCodecOptions) =>
  new PostgresEventStore(database.pool, {
    codec: new PayloadEventCodec(new PayloadCodec(new PersonalDataKeys(database.pool), options)),
  });

async function appendOne(store: PostgresEventStore, type: string, data: Record<string, unknown>) {
  const streamId = `stream-${randomUUID()}`;
  const event = newEvent(type, data);
  const { position } = await store.append({ streamId, streamType: 'Thing', expectedVersion: 0, events: [event] });
  return { streamId, event, position };
}

const storedData = async (position: number) =>
  (await (database.pool as pg.Pool).query('SELECT data FROM events WHERE position = $1', [position])).rows[0].data;

describe('payload encryption (AES-256-GCM, key ids beside the ciphertext)', () => {
  const data = { amount: 42, memo: 'rent for März' };

  it('stores ciphertext with the newest key id and reads the data back on every read path', async () => {
    const store = storeWith({ encryptionKeys: [k1, k2] });
    const { streamId, position } = await appendOne(store, 'Paid', data);
    const stored = await storedData(position);
    expect(stored).toEqual({ $encoded: 'aes-256-gcm', key: 'k2', payload: expect.any(String) });
    expect(JSON.stringify(stored)).not.toContain('rent');
    expect((await store.readStream(streamId))[0].data).toEqual(data);
    // The log shows an append once every older transaction on the server has ended: another
    // test's open transaction (even in another database) can hold it back a moment.
    const [logged] = await until(
      () => store.readLog(position - 1, 1),
      (events) => events.length > 0,
      'the event in the log',
    );
    expect(logged.data).toEqual(data);
  });

  it('rotates: events sealed with an older key still open once a newer one is added', async () => {
    const old = await appendOne(storeWith({ encryptionKeys: [k1] }), 'Paid', data);
    const rotated = storeWith({ encryptionKeys: [k1, k2] });
    const fresh = await appendOne(rotated, 'Paid', data);
    expect((await storedData(old.position)).key).toBe('k1');
    expect((await storedData(fresh.position)).key).toBe('k2');
    expect((await rotated.readStream(old.streamId))[0].data).toEqual(data);
    expect((await rotated.readStream(fresh.streamId))[0].data).toEqual(data);
  });

  it('names the event when its key is no longer configured', async () => {
    const { streamId, position } = await appendOne(storeWith({ encryptionKeys: [k1] }), 'Paid', data);
    const error = await storeWith({ encryptionKeys: [k2] })
      .readStream(streamId)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreadableEventError);
    expect((error as Error).message).toBe(
      `Cannot read the event at position ${position} (type Paid, schema version 1): its payload does not decode: it is encrypted with key "k1", which is not configured`,
    );
  });

  it('detects a tampered ciphertext, naming the event', async () => {
    const store = storeWith({ encryptionKeys: [k1] });
    const { streamId, position } = await appendOne(store, 'Paid', data);
    const stored = await storedData(position);
    const bytes = Buffer.from(stored.payload, 'base64');
    bytes[20] ^= 1;
    await database.pool.query(
      `UPDATE events SET data = jsonb_set(data, '{payload}', to_jsonb($2::text)) WHERE position = $1`,
      [position, bytes.toString('base64')],
    );
    await expect(store.readStream(streamId)).rejects.toThrow(
      new RegExp(`^Cannot read the event at position ${position} \\(type Paid.*authentication tag does not match`),
    );
  });

  it('binds the ciphertext to its event: copied onto another event it does not open', async () => {
    const store = storeWith({ encryptionKeys: [k1] });
    const a = await appendOne(store, 'Paid', { amount: 1 });
    const b = await appendOne(store, 'Paid', { amount: 1_000_000 });
    await database.pool.query(
      'UPDATE events SET data = (SELECT data FROM events WHERE position = $2) WHERE position = $1',
      [a.position, b.position],
    );
    await expect(store.readStream(a.streamId)).rejects.toThrow(UnreadableEventError);
  });

  it('leaves events stored before encryption was turned on readable', async () => {
    const plain = await appendOne(storeWith({}), 'Paid', data);
    expect(await storedData(plain.position)).toEqual(data);
    expect((await storeWith({ encryptionKeys: [k1] }).readStream(plain.streamId))[0].data).toEqual(data);
  });
});

describe('payload compression', () => {
  const large = { lines: Array.from({ length: 200 }, (_, i) => `line ${i} of a long, repetitive statement`) };

  it('deflates payloads from the threshold up, before encrypting, and keeps small ones as plain JSON', async () => {
    const store = storeWith({ compressAbove: 1024 });
    const small = await appendOne(store, 'Noted', { text: 'short' });
    const big = await appendOne(store, 'Noted', large);
    expect(await storedData(small.position)).toEqual({ text: 'short' });
    const stored = await storedData(big.position);
    expect(stored.$encoded).toBe('deflate');
    expect(stored.payload.length).toBeLessThan(JSON.stringify(large).length / 4);
    expect((await store.readStream(big.streamId))[0].data).toEqual(large);

    const both = storeWith({ compressAbove: 1024, encryptionKeys: [k1] });
    const sealed = await appendOne(both, 'Noted', large);
    expect((await storedData(sealed.position)).$encoded).toBe('deflate+aes-256-gcm');
    expect((await both.readStream(sealed.streamId))[0].data).toEqual(large);
  });
});

describe('personal fields (a key per data subject)', () => {
  const admitted = { name: 'Jane Roe', notes: 'allergic to penicillin', ward: 7 };

  it('seals each declared field with the stream subject key, with or without payload encryption, and erases them', async () => {
    for (const options of [{}, { encryptionKeys: [k1] }]) {
      const store = storeWith(options);
      const { streamId, position } = await appendOne(store, 'PatientAdmitted', admitted);
      const raw = await (database.pool as pg.Pool).query('SELECT data::text AS text FROM events WHERE position = $1', [
        position,
      ]);
      expect(raw.rows[0].text).not.toMatch(/Jane|penicillin/);
      expect((await store.readStream(streamId))[0].data).toEqual(admitted);

      await new PersonalDataKeys(database.pool).erase(streamId);
      expect((await store.readStream(streamId))[0].data).toEqual({ name: '(erased)', notes: null, ward: 7 });
      // Personal data of an erased subject is not stored again.
      await store.append({
        streamId,
        streamType: 'Thing',
        expectedVersion: 1,
        events: [newEvent('PatientAdmitted', admitted)],
      });
      expect((await store.readStream(streamId))[1].data).toEqual({ name: '(erased)', notes: null, ward: 7 });
    }
  });

  it('detects a personal field copied from another event of the same subject', async () => {
    const store = storeWith({});
    const { streamId } = await appendOne(store, 'PatientAdmitted', admitted);
    await store.append({
      streamId,
      streamType: 'Thing',
      expectedVersion: 1,
      events: [newEvent('PatientAdmitted', { ...admitted, name: 'John Doe' })],
    });
    // Same subject key, another event: the event id in the associated data refuses it.
    await database.pool.query(
      `UPDATE events SET data = jsonb_set(data, '{name}', (SELECT data->'name' FROM events WHERE stream_id = $1 AND version = 2))
        WHERE stream_id = $1 AND version = 1`,
      [streamId],
    );
    await expect(store.readStream(streamId)).rejects.toThrow(
      /\(type PatientAdmitted, schema version 1\): its personal field "name" does not decrypt/,
    );
  });

  it('seals the personal fields of snapshots with the same key, erased with it', async () => {
    const keys = new PersonalDataKeys(database.pool);
    const snapshots = new PostgresSnapshotStore(database.pool, new PayloadCodec(keys, {}));
    const streamId = `patient-${randomUUID()}`;
    const at = new Date();
    const personal = { name: '(erased)' };
    await snapshots.save(
      {
        streamId,
        streamType: 'Patient',
        version: 3,
        schemaVersion: 1,
        state: { name: 'Jane Roe', beds: 2 },
        firstRecordedAt: at,
        recordedAt: at,
      },
      personal,
    );
    const raw = await (database.pool as pg.Pool).query(
      'SELECT state::text AS text FROM snapshots WHERE stream_id = $1',
      [streamId],
    );
    expect(raw.rows[0].text).not.toContain('Jane');
    const query = { streamType: 'Patient', schemaVersion: 1, personal };
    expect((await snapshots.findLatest(streamId, query))?.state).toEqual({ name: 'Jane Roe', beds: 2 });
    await keys.erase(streamId);
    expect((await snapshots.findLatest(streamId, query))?.state).toEqual({ name: '(erased)', beds: 2 });
  });
});
