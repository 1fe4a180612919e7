import { IdGenerator } from '#event-sourcing';
import { commandSpec } from '#event-sourcing/testing';
import { Account } from '../../domain/account.aggregate.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { OpenAccount } from './open-account.command.js';
import { OpenAccountHandler } from './open-account.handler.js';

const accounts = commandSpec(Account, (repository) => new OpenAccountHandler(repository, new IdGenerator()));

describe('OpenAccount', () => {
  it('opens an account under a new id, at version 1', async () => {
    const outcome = await accounts
      .given()
      .when((_, context) => new OpenAccount('Ada Lovelace', 'EUR', 500, context))
      .then([new AccountOpened('Ada Lovelace', 'EUR', 500)], {});

    expect(outcome.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('answers a repeat with the same Idempotency-Key with the same account instead of opening another', () =>
    accounts
      .given()
      .when((_, context) => new OpenAccount('Ada Lovelace', 'EUR', 0, context), { idempotencyKey: 'open-1' })
      .thenRepeatAnswersTheSame());

  it('refuses an Idempotency-Key sent before for another owner', () =>
    accounts
      .given()
      .when((_, context) => new OpenAccount('Ada Lovelace', 'EUR', 0, context), { idempotencyKey: 'open-1' })
      .thenRefusesTheKeyFor((_, context) => new OpenAccount('Grace Hopper', 'EUR', 0, context)));
});
