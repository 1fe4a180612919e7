import { jest } from '@jest/globals';
import fc from 'fast-check';
import request from 'supertest';
import {
  bodyEntries,
  commandHeaders,
  contentType,
  deepText,
  idSegment,
  notAnObjectText,
  objectText,
  unknownKey,
  anyValue,
} from './arbitraries.js';
import { COMMAND_HEADERS, FUZZ_TIMEOUT_MS, Fuzzer, runsOf } from './fuzzer.js';

jest.setTimeout(FUZZ_TIMEOUT_MS);

/** Generated requests per property: 2,100 in all, the rest of the suite's 5,000+ are in reads.e2e-spec.ts (a fifth outside CI, {@link runsOf}). */
const RUNS = runsOf({ open: 600, money: 700, noBody: 300, transfers: 500 });
const PLANNED = Object.values(RUNS).reduce((a, b) => a + b, 0);

let fuzzer: Fuzzer;
let accounts: string[];
beforeAll(async () => {
  fuzzer = await Fuzzer.start();
  const open = async (overdraftLimit: number) =>
    (await request(fuzzer.app.http).post('/accounts').send({ owner: 'Fuzz', overdraftLimit }).expect(201)).body.id;
  accounts = [await open(0), await open(1_000), await open(1_000_000)];
  await request(fuzzer.app.http).post(`/accounts/${accounts[2]}/deposits`).send({ amount: 500_000 }).expect(200);
});
afterAll(() => fuzzer?.close());

/** A body as the client wrote it: mostly objects for the route, sometimes anything else. */
const body = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc.oneof(
    {
      arbitrary: bodyEntries(fields).map((entries) => ({ text: objectText(entries), type: 'application/json' })),
      weight: 8,
    },
    { arbitrary: notAnObjectText.map((text) => ({ text, type: 'application/json' })), weight: 2 },
    { arbitrary: deepText.map((text) => ({ text, type: 'application/json' })), weight: 1 },
    {
      arbitrary: fc.tuple(bodyEntries(fields), contentType).map(([e, type]) => ({ text: objectText(e), type })),
      weight: 1,
    },
    { arbitrary: fc.constant({ text: undefined, type: undefined }), weight: 1 },
  );

/** The keys of whatever JSON the text holds: each may be blamed in a 400. */
function keysOf(text: string | undefined): string[] {
  try {
    const value: unknown = JSON.parse(text ?? 'null');
    return typeof value === 'object' && value !== null ? Object.keys(value) : [];
  } catch {
    return [];
  }
}

const account = () => fc.constantFrom(...accounts);
const accountSegment = () => fc.oneof({ arbitrary: account(), weight: 3 }, { arbitrary: idSegment, weight: 2 });
const amount = fc.integer({ min: 1, max: 2_000 });

async function sendCommand(
  path: string,
  sent: { text?: string; type?: string },
  headers: Record<string, string>,
  fields: string[],
) {
  return fuzzer.send({
    method: path.endsWith('/personal-data') ? 'delete' : 'post',
    path,
    headers,
    body: sent.text,
    contentType: sent.type,
    blame: [...fields, ...keysOf(sent.text), ...COMMAND_HEADERS, 'id'],
  });
}

describe('generated commands: never a 5xx, every refusal a problem naming its field, and nothing appended', () => {
  it(`POST /accounts (${RUNS.open} requests)`, async () => {
    const fields = {
      owner: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
      currency: fc.constantFrom('EUR', 'USD', 'JPY'),
      overdraftLimit: fc.integer({ min: 0, max: 1e12 }),
    };
    await fuzzer.check(RUNS.open, fc.tuple(body(fields), commandHeaders), ([sent, headers]) =>
      sendCommand('/accounts', sent, headers, Object.keys(fields)),
    );
  });

  it(`POST /accounts/{id}/deposits and /withdrawals (${RUNS.money} requests)`, async () => {
    const arbitrary = fc.tuple(
      accountSegment(),
      fc.constantFrom('deposits', 'withdrawals'),
      body({ amount }),
      commandHeaders,
    );
    await fuzzer.check(RUNS.money, arbitrary, ([id, kind, sent, headers]) =>
      sendCommand(`/accounts/${id}/${kind}`, sent, headers, ['amount']),
    );
  });

  it(`POST /accounts/{id}/close and DELETE /accounts/{id}/personal-data (${RUNS.noBody} requests)`, async () => {
    const noBody = fc.oneof(
      fc.constant({ text: undefined, type: undefined }),
      fc.constant({ text: '{}', type: 'application/json' }),
      fc
        .array(fc.tuple(unknownKey, anyValue), { minLength: 1, maxLength: 2 })
        .map((entries) => ({ text: objectText(entries), type: 'application/json' })),
      notAnObjectText.map((text) => ({ text, type: 'application/json' })),
    );
    const arbitrary = fc.tuple(accountSegment(), fc.constantFrom('close', 'personal-data'), noBody, commandHeaders);
    await fuzzer.check(RUNS.noBody, arbitrary, ([id, route, sent, headers]) =>
      sendCommand(`/accounts/${id}/${route}`, sent, headers, []),
    );
  });

  it(`POST /transfers (${RUNS.transfers} requests)`, async () => {
    const fields = { fromAccountId: account(), toAccountId: account(), amount };
    await fuzzer.check(RUNS.transfers, fc.tuple(body(fields), commandHeaders), async ([sent, headers]) => {
      const response = await sendCommand('/transfers', sent, headers, Object.keys(fields));
      // The transfer process appends in the background: let it finish, so that the next count is exact.
      if (response.status === 202) {
        await settled(response.body.id as string);
        await fuzzer.recount();
      }
    });
  });

  it(`sent at least ${PLANNED} generated requests`, () => {
    expect(fuzzer.sent).toBeGreaterThanOrEqual(PLANNED);
  });
});

/** Once the transfer ended and the process that moves it has nothing left to handle. */
async function settled(transferId: string): Promise<void> {
  const http = fuzzer.app.http;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const { body: transfer } = await request(http).get(`/transfers/${transferId}`).expect(200);
    const { body: followers } = await request(http).get('/projections').expect(200);
    const process = (followers.items as { name: string; lagPositions: number }[]).find(
      (follower) => follower.name === 'transfer-process',
    );
    if (['completed', 'failed'].includes(transfer.status) && process?.lagPositions === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Transfer ${transferId} did not settle`);
}
