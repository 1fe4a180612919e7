import { assertSnapshotRoundTrip, given } from '#event-sourcing/testing';
import { TransferCompleted } from './events/transfer-completed.event.js';
import { TransferDebited } from './events/transfer-debited.event.js';
import { TransferFailed } from './events/transfer-failed.event.js';
import { TransferRequested } from './events/transfer-requested.event.js';
import { Transfer } from './transfer.aggregate.js';
import { CurrencyMismatch, InvalidTransferAmount, SameAccountTransfer, TransferNotDebited } from './transfer.errors.js';

const requested = new TransferRequested('a', 'b', 40);
const euros = { from: 'EUR', to: 'EUR' };
const debited = new TransferDebited();
const completed = new TransferCompleted();
const failed = (reason: string) => new TransferFailed(reason);
/** A history that changes every field of the state, so that the snapshot test checks each one. */
const fullHistory = [requested, debited, failed('account_closed')];

describe('Transfer', () => {
  it('is requested between two accounts, for an amount', () => {
    given(Transfer)
      .when(() => Transfer.request('t-1', 'a', 'b', 40, euros))
      .then(requested)
      .withState({
        id: 't-1',
        fromAccountId: 'a',
        toAccountId: 'b',
        amount: 40,
        status: 'requested',
        reason: undefined,
        version: 1,
      });
  });

  it('refuses a transfer to the same account', () => {
    given(Transfer)
      .when(() => Transfer.request('t-1', 'a', 'a', 40, euros))
      .thenThrows(SameAccountTransfer, { code: 'same_account' });
  });

  it('refuses a transfer between currencies, having no exchange rates', () => {
    given(Transfer)
      .when(() => Transfer.request('t-1', 'a', 'b', 10_000, { from: 'EUR', to: 'JPY' }))
      .thenThrows(CurrencyMismatch, {
        code: 'currency_mismatch',
        message: 'A transfer moves money between accounts of one currency, not from EUR to JPY',
      });
  });

  it('leaves an account the request did not find to the process, which fails the transfer', () => {
    for (const currencies of [{ to: 'JPY' }, { from: 'EUR' }, {}]) {
      given(Transfer)
        .when(() => Transfer.request('t-1', 'a', 'b', 40, currencies))
        .then(requested);
    }
  });

  it('refuses amounts that are not positive whole numbers', () => {
    for (const amount of [0, -5, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      given(Transfer)
        .when(() => Transfer.request('t-1', 'a', 'b', amount, euros))
        .thenThrows(InvalidTransferAmount, { code: 'invalid_amount' });
    }
  });

  it('moves from requested to debited to completed', () => {
    given(Transfer, requested)
      .when((t) => t.markDebited())
      .then(debited)
      .withState({ status: 'debited' });
    given(Transfer, requested, debited)
      .when((t) => t.complete())
      .then(completed)
      .withState({ status: 'completed', version: 3 });
  });

  it('fails with a reason before the debit, or after it (once refunded)', () => {
    given(Transfer, requested)
      .when((t) => t.fail('insufficient_funds'))
      .then(failed('insufficient_funds'))
      .withState({ status: 'failed', reason: 'insufficient_funds' });
    given(Transfer, requested, debited)
      .when((t) => t.fail('account_closed'))
      .then(failed('account_closed'))
      .withState({ status: 'failed', reason: 'account_closed', version: 3 });
  });

  it('takes each step once: a repeated step changes nothing', () => {
    given(Transfer, requested, debited)
      .when((t) => t.markDebited())
      .then();
    given(Transfer, requested, debited, completed)
      .when((t) => t.complete())
      .then();
    given(Transfer, requested, failed('account_not_found'))
      .when((t) => t.fail('account_not_found'))
      .then();
  });

  it('changes nothing once it ended, whatever is asked', () => {
    for (const ended of [[debited, completed], [failed('insufficient_funds')], [debited, failed('account_closed')]]) {
      for (const step of [
        (t: Transfer) => t.markDebited(),
        (t: Transfer) => t.complete(),
        (t: Transfer) => t.fail('account_closed'),
      ]) {
        given(Transfer, requested, ...ended)
          .when(step)
          .then()
          .withState({ version: 1 + ended.length });
      }
    }
    expect(given(Transfer, requested, failed('insufficient_funds')).aggregate.reason).toBe('insufficient_funds');
  });

  it('does not complete a transfer whose amount was never paid out', () => {
    given(Transfer, requested)
      .when((t) => t.complete())
      .thenThrows(TransferNotDebited, { code: 'transfer_not_debited' });
  });

  it('rebuilds the same state from the same history', () => {
    const history = [requested, debited, failed('account_closed')];
    const a = given(Transfer, ...history).aggregate;
    expect(given(Transfer, ...history).aggregate).toEqual(a);
    expect(a).toMatchObject({ status: 'failed', reason: 'account_closed', amount: 40, version: 3 });
  });

  it('keeps every field through a snapshot', () => {
    assertSnapshotRoundTrip(given(Transfer, ...fullHistory).aggregate);
  });
});
