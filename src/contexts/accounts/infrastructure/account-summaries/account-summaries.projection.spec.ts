import { QueryFailedError } from 'typeorm';
import { ProjectionSpec, stream } from '#event-sourcing/testing';
import { migrations } from '../../../../../migrations/index.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened, ERASED_OWNER } from '../../domain/events/account-opened.event.js';
import { AccountPersonalDataErased } from '../../domain/events/account-personal-data-erased.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { TransferDelivered } from '../../domain/events/transfer-delivered.event.js';
import { TransferReceived } from '../../domain/events/transfer-received.event.js';
import { TransferRefunded } from '../../domain/events/transfer-refunded.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { AccountSummary } from './account-summary.entity.js';
import { AccountSummariesProjection } from './account-summaries.projection.js';

const A = '0196a4c2-0000-7000-8000-00000000000a';
const B = '0196a4c2-0000-7000-8000-00000000000b';
const T = '0196a4c2-0000-7000-8000-0000000000f1';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 9, minute));

/** Ada's EUR account as opened at 09:00, with an overdraft of 50. */
const adaOpened = { ...stream(A, new AccountOpened('Ada', 'EUR', 50)), recordedAt: at(0) };
const summary = (fields: Partial<AccountSummary>): AccountSummary => ({
  id: A,
  owner: 'Ada',
  openedBy: null,
  currency: 'EUR',
  balance: 0,
  overdraftLimit: 50,
  status: 'open',
  version: 1,
  openedAt: at(0),
  updatedAt: at(0),
  ...fields,
});

const spec = new ProjectionSpec(new AccountSummariesProjection(), { migrations, entities: [AccountSummary] });
beforeAll(() => spec.start());
afterAll(() => spec.stop());

describe('the account-summaries projection', () => {
  it('lists an account once opened, with its owner, currency and overdraft limit', () =>
    spec.given(adaOpened).thenRows(AccountSummary, [summary({})]));

  it("keeps who opened an account (its first event's actor), for lists scoped to their owner", () =>
    spec
      .given({ ...adaOpened, metadata: { actorId: 'alice' } })
      .when({ ...stream(A, new MoneyDeposited(100)), metadata: { actorId: 'teller-7' }, recordedAt: at(1) })
      .thenRows(AccountSummary, [summary({ openedBy: 'alice', balance: 100, version: 2, updatedAt: at(1) })]));

  it('folds the money movements of an account opened in the same batch into its first row', () =>
    spec
      .given({
        ...stream(A, new AccountOpened('Ada', 'EUR', 50), new MoneyDeposited(100), new MoneyWithdrawn(30)),
        recordedAt: at(0),
      })
      .thenRows(AccountSummary, [summary({ balance: 70, version: 3 })]));

  it('adds every credit and takes every debit of later batches, with the version and time of the last', () =>
    spec
      .given(adaOpened)
      .when(
        { ...stream(A, new MoneyDeposited(100), new TransferReceived(T, B, 40)), recordedAt: at(1) },
        { ...stream(A, new MoneyWithdrawn(30), new TransferSent(T, B, 20)), recordedAt: at(2) },
        { ...stream(A, new TransferRefunded(T, 20, 'account_closed')), recordedAt: at(3) },
      )
      .thenRows(AccountSummary, [summary({ balance: 110, version: 6, updatedAt: at(3) })]));

  it('moves the version and time on when a transfer sent was delivered, and the balance not at all', () =>
    spec
      .given(adaOpened)
      .when(
        { ...stream(A, new MoneyDeposited(100), new TransferSent(T, B, 20)), recordedAt: at(1) },
        { ...stream(A, new TransferDelivered(T)), recordedAt: at(2) },
      )
      .thenRows(AccountSummary, [summary({ balance: 80, version: 4, updatedAt: at(2) })]));

  it('shows an account closed, and its owner erased with the key', () =>
    spec
      .given(adaOpened)
      .when({ ...stream(A, new AccountPersonalDataErased(), new AccountClosed()), recordedAt: at(5) })
      .thenRows(AccountSummary, [summary({ owner: ERASED_OWNER, status: 'closed', version: 3, updatedAt: at(5) })]));

  it('keeps accounts apart within one batch', () =>
    spec
      .given(adaOpened, { ...stream(B, new AccountOpened('Bob', 'USD', 0)), recordedAt: at(1) })
      .when(
        { ...stream(A, new MoneyDeposited(10)), recordedAt: at(2) },
        { ...stream(B, new MoneyDeposited(7)), recordedAt: at(3) },
        { ...stream(A, new MoneyDeposited(5)), recordedAt: at(4) },
      )
      .thenRows(AccountSummary, [
        summary({ balance: 15, version: 3, updatedAt: at(4) }),
        summary({
          id: B,
          owner: 'Bob',
          currency: 'USD',
          overdraftLimit: 0,
          balance: 7,
          version: 2,
          openedAt: at(1),
          updatedAt: at(3),
        }),
      ]));

  it('stops at an account opened twice: the table has one row per account', async () => {
    const error = await spec.given(adaOpened).when(adaOpened).thenThrows(QueryFailedError);
    expect((error as Error).message).toContain('account_summaries_pkey');
  });
});
