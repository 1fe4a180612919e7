import type { Request } from 'express';
import { commandContextOf } from './command-context.decorator.js';
import { RequestValidationError } from './problem-details.js';
import { setRequestActor } from './request-actor.js';
import { correlationIdOf } from './request-correlation.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as Request;
const routed = (method: string, route: string, key: string, actor?: string) => {
  const sent = {
    headers: { 'idempotency-key': key },
    method,
    baseUrl: '',
    route: { path: route },
  } as unknown as Request;
  if (actor !== undefined) setRequestActor(sent, actor);
  return commandContextOf(sent);
};

describe('commandContextOf', () => {
  it('reads If-Match, Idempotency-Key and X-Correlation-Id', () => {
    const context = commandContextOf(
      request({ 'if-match': '"7"', 'idempotency-key': 'pay-42', 'x-correlation-id': 'checkout-9' }),
    );
    expect(context).toMatchObject({ expectedVersion: 7, idempotencyKey: 'pay-42', correlationId: 'checkout-9' });
    expect(context.commandId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives a request without X-Correlation-Id the id made for it, the one its logs and response carry', () => {
    const anonymous = request({});
    const context = commandContextOf(anonymous);
    expect(context.correlationId).toBe(correlationIdOf(anonymous));
    expect(context.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.correlationId).not.toBe(context.commandId);
    expect(context.expectedVersion).toBeUndefined();
  });

  it('carries the actor that authentication set on the request, and none otherwise', () => {
    const authenticated = request({});
    setRequestActor(authenticated, 'alice');
    expect(commandContextOf(authenticated).actorId).toBe('alice');
    expect(commandContextOf(request({ 'x-actor-id': 'mallory' })).actorId).toBeUndefined();
  });

  it.each([
    ['"pay-42"', 'pay-42'],
    ['pay-42', 'pay-42'],
    ['"a\\"b\\\\c"', 'a"b\\c'],
    ['a"b', 'a"b'],
  ])('reads the key of Idempotency-Key: %s, an sf-string or bare', (header, key) => {
    expect(commandContextOf(request({ 'idempotency-key': header })).idempotencyKey).toBe(key);
  });

  it('scopes the key to the caller (or anonymous), the method and the route template', () => {
    const scope = (...args: Parameters<typeof routed>) => routed(...args).idempotencyScope;
    const alice = scope('POST', '/accounts', 'k', 'alice');
    expect(scope('POST', '/accounts', '"k"', 'alice')).toBe(alice);
    expect(scope('POST', '/accounts', 'other', 'alice')).toBe(alice);
    const others = [
      scope('POST', '/accounts', 'k', 'bob'),
      scope('POST', '/accounts', 'k'),
      scope('POST', '/accounts', 'k', 'null'),
      scope('PUT', '/accounts', 'k', 'alice'),
      scope('POST', '/accounts/:id/deposits', 'k', 'alice'),
    ];
    expect(new Set([alice, ...others]).size).toBe(6);
    expect(commandContextOf(request({})).idempotencyScope).toBeUndefined();
  });

  it.each([
    ['if-match', '7'],
    ['if-match', '"abc"'],
    ['if-match', '"1", "2"'],
    ['if-match', 'W/"1"'],
    ['idempotency-key', 'x'.repeat(201)],
    ['idempotency-key', 'with space'],
    ['idempotency-key', '"with space"'],
    ['idempotency-key', '""'],
    ['idempotency-key', '"unclosed'],
    ['idempotency-key', '"a", "b"'],
    ['idempotency-key', '"k";p=1'],
    ['idempotency-key', '"bad\\escape"'],
    ['idempotency-key', `"${'x'.repeat(201)}"`],
    ['x-correlation-id', 'é'],
  ])('refuses %s: %s', (name, value) => {
    expect(() => commandContextOf(request({ [name]: value }))).toThrow(RequestValidationError);
  });
});
