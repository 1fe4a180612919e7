import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestApp } from './test-app.js';

/** Far below REQUEST_TIMEOUT_MS (30 s by default), after which the server would end the request itself. */
const CLOSE_WITHIN_MS = 10_000;

describe('the test app', () => {
  it('closes while a client holds a request open, cutting its connection', async () => {
    const app = await createTestApp();
    await new Promise<void>((resolve) => app.http.listen(0, '127.0.0.1', resolve));
    const { port } = app.http.address() as AddressInfo;
    // A request whose body never finishes: the server has it in flight until its own timeout.
    const client = connect({ host: '127.0.0.1', port });
    const cut = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => undefined);
    const received = new Promise<void>((resolve) => app.http.once('request', () => resolve()));
    await new Promise<void>((resolve) => client.once('connect', resolve));
    client.write(
      'POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    await received;

    // The deadline's timer is cancelled once the race is decided: left running, it would hold
    // the jest worker open for 10 s after the last test.
    const deadline = new AbortController();
    const closed = await Promise.race([
      app.close().then(() => 'closed'),
      sleep(CLOSE_WITHIN_MS, 'still closing', { signal: deadline.signal }),
    ]).finally(() => deadline.abort());
    expect(closed).toBe('closed');
    await cut;
  }, 60_000);
});
