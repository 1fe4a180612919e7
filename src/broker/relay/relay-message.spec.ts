import { DomainEvent } from '#event-sourcing/domain';
import type { StoredEvent } from '#event-sourcing';
import { relayMessage, relaySubject } from './relay-message.js';

@DomainEvent('RelaySpecPersonOnboarded', { personal: { name: '[gone]', email: null } })
export class PersonOnboarded {
  readonly name!: string;
  readonly email?: string;
  readonly plan!: string;
}

const event = (overrides: Partial<StoredEvent> = {}): StoredEvent => ({
  id: '01a21d09-a99f-757d-acce-52fc932153de',
  position: 42,
  streamId: 'person-7',
  streamType: 'Person',
  version: 3,
  type: 'RelaySpecPersonOnboarded',
  schemaVersion: 1,
  data: { name: 'Ada', plan: 'gold' },
  metadata: { correlationId: 'corr-1', causationId: 'cause-1', actorId: 'alice' },
  recordedAt: new Date('2026-11-27T12:45:02.240Z'),
  ...overrides,
});

describe('relaySubject', () => {
  it('is <stream>.<streamType>.<type>, with characters a subject token cannot hold replaced', () => {
    expect(relaySubject('chronicle', 'Account', 'MoneyDeposited')).toBe('chronicle.Account.MoneyDeposited');
    expect(relaySubject('chronicle', 'billing.Invoice', 'Invoice Sent>*')).toBe(
      'chronicle.billing_Invoice.Invoice_Sent__',
    );
  });
});

describe('relayMessage', () => {
  it('carries the event id as message id and the envelope in headers', () => {
    const message = relayMessage(event(), 'chronicle');
    expect(message.subject).toBe('chronicle.Person.RelaySpecPersonOnboarded');
    expect(message.msgID).toBe('01a21d09-a99f-757d-acce-52fc932153de');
    expect(Object.fromEntries([...message.headers.keys()].map((key) => [key, message.headers.get(key)]))).toEqual({
      'Content-Type': 'application/json',
      'Chronicle-Type': 'RelaySpecPersonOnboarded',
      'Chronicle-Schema-Version': '1',
      'Chronicle-Stream-Id': 'person-7',
      'Chronicle-Stream-Type': 'Person',
      'Chronicle-Version': '3',
      'Chronicle-Position': '42',
      'Chronicle-Correlation-Id': 'corr-1',
      'Chronicle-Causation-Id': 'cause-1',
      'Chronicle-Recorded-At': '2026-11-27T12:45:02.240Z',
      'Chronicle-Personal-Withheld': 'name',
    });
  });

  it('sends the event as the notification log serves it, its personal fields as their erased value', () => {
    const original = event({ data: { name: 'Ada', email: 'ada@example.com', plan: 'gold' } });
    const message = relayMessage(original, 'chronicle');
    expect(JSON.parse(message.payload)).toEqual({
      id: original.id,
      position: 42,
      streamId: 'person-7',
      streamType: 'Person',
      version: 3,
      type: 'RelaySpecPersonOnboarded',
      schemaVersion: 1,
      data: { name: '[gone]', email: null, plan: 'gold' },
      metadata: { correlationId: 'corr-1', causationId: 'cause-1', actorId: 'alice' },
      recordedAt: '2026-11-27T12:45:02.240Z',
    });
    expect(message.headers.get('Chronicle-Personal-Withheld')).toBe('name,email');
    expect(original.data).toEqual({ name: 'Ada', email: 'ada@example.com', plan: 'gold' });
  });

  it('leaves the data of a type without personal fields, or of no registered type, as it is', () => {
    const message = relayMessage(event({ type: 'SomebodyElsesEvent', data: { name: 'Ada' } }), 'chronicle');
    expect(JSON.parse(message.payload).data).toEqual({ name: 'Ada' });
    expect(message.headers.has('Chronicle-Personal-Withheld')).toBe(false);
  });
});
