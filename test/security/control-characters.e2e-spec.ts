import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { expectProblem, problemType } from '../support/problems.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';

// example:start
const ACCOUNT = '01a21cb3-b7ce-7637-8ab6-7b8b56045d7b';
// example:end

describe('control characters in a request', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app?.close());

  // The explorer's NULs were every 500 of the fuzz: PostgreSQL text cannot hold one.
  it.each([
    ['/explorer/api/streams?q=a%00b', 'q'],
    ['/explorer/api/streams?type=Account%00', 'type'],
    ['/explorer/api/streams?after=%00', 'after'],
    ['/explorer/api/streams/a%00b', 'path'],
    ['/explorer/api/streams/a%00b/events', 'path'],
    ['/notifications?after=1%1b', 'after'],
    ['/notifications?after%00=1', 'after\u0000'],
    ['/notifications?after=1&after=%7f', 'after.1'],
    ['/notifications/%0a', 'path'],
    ['/notifications/stream?after=1%0d', 'after'],
    // example:start
    ['/accounts?owner=Ada%1b', 'owner'],
    [`/accounts/${ACCOUNT}%0a`, 'path'],
    // example:end
  ])('answers GET %s with a 400 problem naming %j', async (path, field) => {
    const response = await request(app.http).get(path);
    expectProblem(response, 400, { type: problemType('invalid-request'), fields: [field] });
    expect(response.body.errors[0].message).toMatch(/control characters/);
  });

  it('refuses them before the body is read, in a command too', async () => {
    const response = await request(app.http)
      .post('/projections/a%00b/rebuild')
      .set('Content-Type', 'application/json')
      .send({});
    expectProblem(response, 400, { type: problemType('invalid-request'), fields: ['path'] });
  });

  it('lets a tab through a header value, as HTTP does, and answers 400 to any other control character there', async () => {
    await new Promise<void>((resolve) => app.http.listen(0, '127.0.0.1', resolve));
    const { port } = app.http.address() as AddressInfo;
    const statusOf = (header: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () =>
          socket.write(`GET /health HTTP/1.1\r\nHost: x\r\n${header}\r\nConnection: close\r\n\r\n`),
        );
        let answer = '';
        socket.on('data', (chunk: Buffer) => {
          answer += chunk.toString();
          if (answer.includes('\r\n')) socket.destroy();
        });
        socket.on('error', reject);
        socket.on('close', () => resolve(answer.split('\r\n')[0]));
      });
    expect(await statusOf('X-Correlation-Id: a\tb')).toBe('HTTP/1.1 200 OK');
    for (const control of ['\u0000', '\u0001', '\u001b', '\u007f']) {
      expect(await statusOf(`X-Correlation-Id: a${control}b`)).toBe('HTTP/1.1 400 Bad Request');
    }
  });
});

describe('control characters in a token', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } })));
  afterAll(() => app?.close());

  // The subject becomes the actor stored with every event: a NUL in it was a 500 on every command.
  it.each([{ sub: 'ali\u0000ce' }, { sub: 'alice\u001b' }, { sub: 'alice', roles: ['admin\u0000'] }])(
    'refuses a token whose claims hold one as a bad request (400): %j',
    async (claims) => {
      for (const response of [
        await request(app.http)
          .get('/notifications')
          .set(bearer(signToken(claims))),
        // example:start
        await request(app.http)
          .post('/accounts')
          .set(bearer(signToken(claims)))
          .send({ owner: 'Ada Lovelace' }),
        // example:end
      ]) {
        expectProblem(response, 400);
        expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_request"');
      }
    },
  );
});
