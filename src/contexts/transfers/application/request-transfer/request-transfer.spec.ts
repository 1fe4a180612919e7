import type { QueryBus } from '@nestjs/cqrs';
import { IdGenerator } from '#event-sourcing';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import { commandSpec } from '#event-sourcing/testing';
import { ACCOUNT_STREAM_TYPE, type GetAccount } from '../../../accounts/accounts.contract.js';
import { TransferRequested } from '../../domain/events/transfer-requested.event.js';
import { Transfer } from '../../domain/transfer.aggregate.js';
import { CurrencyMismatch, SameAccountTransfer } from '../../domain/transfer.errors.js';
import { RequestTransfer } from './request-transfer.command.js';
import { RequestTransferHandler } from './request-transfer.handler.js';

/** The accounts that exist, with their currencies; GetAccount answers no other. */
const currencies: Record<string, string> = { from: 'EUR', to: 'EUR', yen: 'JPY' };
const accounts = {
  async execute({ accountId }: GetAccount) {
    if (!(accountId in currencies)) throw new AggregateNotFoundError(ACCOUNT_STREAM_TYPE, accountId);
    return { currency: currencies[accountId] };
  },
} as unknown as QueryBus;

const transfers = commandSpec(
  Transfer,
  (repository) => new RequestTransferHandler(repository, new IdGenerator(), accounts),
);

describe('RequestTransfer', () => {
  it('starts a transfer under a new id, requested', () =>
    transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'to', 25, context))
      .then([new TransferRequested('from', 'to', 25)], { status: 'requested' }));

  it('refuses a transfer from an account to itself', () =>
    transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'from', 25, context))
      .thenThrows(SameAccountTransfer));

  it('refuses a transfer between accounts of two currencies, either way', async () => {
    await transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'yen', 10_000, context))
      .thenThrows(CurrencyMismatch);
    await transfers
      .given()
      .when((_, context) => new RequestTransfer('yen', 'to', 100, context))
      .thenThrows(CurrencyMismatch);
  });

  it('starts a transfer naming an account that does not exist, for the process to fail', () =>
    transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'nobody', 25, context))
      .then([new TransferRequested('from', 'nobody', 25)], { status: 'requested' }));

  it('answers a repeat with the same Idempotency-Key with the same transfer instead of starting another', () =>
    transfers
      .given()
      .when((_, context) => new RequestTransfer('from', 'to', 25, context), { idempotencyKey: 'transfer-1' })
      .thenRepeatAnswersTheSame());
});
