/**
 * Slow senders (docs/OPERATIONS.md, "Timeouts"): a client that trickles its headers or its
 * body must get 408 once HEADERS_TIMEOUT_MS or REQUEST_TIMEOUT_MS has passed, not hold its
 * connection for Node's 60 s and 300 s; a long response (an event stream) is not cut.
 * The app runs as src/main.ts starts it, where the bounds are set.
 */
import { connect, type Socket } from 'node:net';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 1_500;
const HEARTBEAT_MS = 100;
/** A piece every this often: each keeps the socket busy, none finishes the request before 40 have gone. */
const TRICKLE_EVERY_MS = 250;
const PIECES = 40;

let db: TestDatabase | undefined;
let app: AppProcess | undefined;

beforeAll(async () => {
  await buildApp();
  db = await createTestDatabase();
  app = await startApp({
    name: 'app',
    databaseUrl: db.url,
    env: {
      HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      SSE_HEARTBEAT_MS: String(HEARTBEAT_MS),
    },
  });
}, 120_000);

afterAll(async () => {
  await killAllApps();
  await db?.drop();
});

interface Exchange {
  /** Everything the server sent until it closed the connection. */
  received: string;
  /** How many of the pieces had been written when it did. */
  sent: number;
}

/**
 * Writes `head` at once, then one piece every TRICKLE_EVERY_MS, until all are written or
 * the server closes the connection.
 */
function trickle(head: string, pieces: string[]): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(app!.port, '127.0.0.1');
    let received = '';
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < pieces.length && socket.writable) socket.write(pieces[sent++]);
    }, TRICKLE_EVERY_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received, sent });
    });
    // Once every piece is written the request is whole: the server answers, and with this it closes.
    socket.write(head);
  });
}

/** A whole answer as sent: its status line, and a problem document with that status. */
function expectProblemOnTheWire(received: string, statusLine: string): void {
  const [head, body] = received.split('\r\n\r\n');
  const [line, ...headers] = head.split('\r\n');
  expect(line).toBe(statusLine);
  expect(headers.map((h) => h.toLowerCase())).toContain('content-type: application/problem+json');
  expect(JSON.parse(body)).toMatchObject({ type: 'about:blank', status: Number(statusLine.split(' ')[1]) });
}

/** Sends `raw` as it is and reads until the server closes the connection. */
function exchange(raw: string): Promise<string> {
  return trickle(raw, []).then(({ received }) => received);
}

describe('requests Node cannot parse get a problem document, as every other error does', () => {
  it('a malformed request line is a 400', async () => {
    expectProblemOnTheWire(await exchange('GET /health HTTP/1.1 junk\r\nHost: x\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
  });

  it('a header line without a colon is a 400', async () => {
    expectProblemOnTheWire(
      await exchange('GET /health HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'),
      'HTTP/1.1 400 Bad Request',
    );
  });

  it("headers past Node's size limit are a 431", async () => {
    const big = `X-Big: ${'a'.repeat(20_000)}\r\n`;
    expectProblemOnTheWire(
      await exchange(`GET /health HTTP/1.1\r\nHost: x\r\n${big}\r\n`),
      'HTTP/1.1 431 Request Header Fields Too Large',
    );
  });
});

describe('slow requests', () => {
  it('a body that does not arrive within REQUEST_TIMEOUT_MS gets 408 and the connection is closed', async () => {
    await withAppOutput(
      () => [app!],
      async () => {
        const body = JSON.stringify({ owner: 'S'.repeat(PIECES - 12) });
        const head =
          'POST /accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
        const { received, sent } = await trickle(head, [...body]);
        expectProblemOnTheWire(received, 'HTTP/1.1 408 Request Timeout');
        expect(sent).toBeLessThan(body.length);
      },
    );
  });

  it('headers that do not arrive within HEADERS_TIMEOUT_MS get 408 and the connection is closed', async () => {
    const lines = Array.from({ length: PIECES }, (_, i) => `X-Slow-${i}: 1\r\n`);
    const { received, sent } = await trickle('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n', [
      ...lines,
      '\r\n',
    ]);
    expectProblemOnTheWire(received, 'HTTP/1.1 408 Request Timeout');
    expect(sent).toBeLessThan(lines.length);
  });

  it('an event stream stays open past REQUEST_TIMEOUT_MS: the bound is on receiving the request, not on answering', async () => {
    const response = await fetch(`${app!.url}/notifications/stream`);
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    // Each heartbeat follows HEARTBEAT_MS of silence: this many span more than the bound and Node's check after it.
    const wanted = Math.ceil((REQUEST_TIMEOUT_MS + HEADERS_TIMEOUT_MS) / HEARTBEAT_MS) + 1;
    let text = '';
    while (text.split(': heartbeat').length - 1 < wanted) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`The stream ended after ${text.split(': heartbeat').length - 1} heartbeats`);
      text += value;
    }
    await reader.cancel();
  });
});
