import type { Request } from 'express';
import { commandContextOf } from './command-context.decorator.js';
import { RequestValidationError } from './problem-details.js';
import { setRequestActor } from './request-actor.js';
import { correlationIdOf } from './request-correlation.js';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as Request;

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
    ['if-match', '7'],
    ['if-match', '"abc"'],
    ['if-match', '"1", "2"'],
    ['if-match', 'W/"1"'],
    ['idempotency-key', 'x'.repeat(201)],
    ['idempotency-key', 'with space'],
    ['x-correlation-id', 'é'],
  ])('refuses %s: %s', (name, value) => {
    expect(() => commandContextOf(request({ [name]: value }))).toThrow(RequestValidationError);
  });
});
