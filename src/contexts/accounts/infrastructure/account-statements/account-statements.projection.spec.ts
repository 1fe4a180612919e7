import { ProjectionSpec, stream } from '#event-sourcing/testing';
import { migrations } from '../../../../../migrations/index.js';
import { AccountClosed } from '../../domain/events/account-closed.event.js';
import { AccountOpened } from '../../domain/events/account-opened.event.js';
import { MoneyDeposited } from '../../domain/events/money-deposited.event.js';
import { MoneyWithdrawn } from '../../domain/events/money-withdrawn.event.js';
import { TransferReceived } from '../../domain/events/transfer-received.event.js';
import { TransferRefunded } from '../../domain/events/transfer-refunded.event.js';
import { TransferSent } from '../../domain/events/transfer-sent.event.js';
import { AccountStatementsProjection } from './account-statements.projection.js';
import { StatementLine } from './statement-line.entity.js';

const A = '0196a4c2-0000-7000-8000-00000000000a';
const B = '0196a4c2-0000-7000-8000-00000000000b';
const T1 = '0196a4c2-0000-7000-8000-0000000000f1';
const T2 = '0196a4c2-0000-7000-8000-0000000000f2';
const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 9, minute));

const opened = (id: string) => ({ ...stream(id, new AccountOpened('Ada', 'EUR', 100)), recordedAt: at(0) });
/** A statement line of account A; the time is the minute of its append. */
const line = (fields: Omit<StatementLine, 'accountId' | 'recordedAt'> & { accountId?: string; minute: number }) => {
  const { minute, accountId = A, ...rest } = fields;
  return { accountId, ...rest, recordedAt: at(minute) };
};

const spec = new ProjectionSpec(new AccountStatementsProjection(), { migrations, entities: [StatementLine] });
beforeAll(() => spec.start());
afterAll(() => spec.stop());

describe('the account-statements projection', () => {
  it('writes a line per money movement with the balance after it, and none for opening or closing', () =>
    spec
      .given(opened(A))
      .when(
        { ...stream(A, new MoneyDeposited(100), new MoneyWithdrawn(30)), recordedAt: at(1) },
        {
          ...stream(A, new TransferSent(T1, B, 80), new TransferRefunded(T1, 80, 'account_closed')),
          recordedAt: at(2),
        },
        {
          ...stream(A, new TransferReceived(T2, B, 5), new MoneyWithdrawn(75), new AccountClosed()),
          recordedAt: at(3),
        },
      )
      .thenRows(StatementLine, [
        line({ version: 2, position: 2, kind: 'deposit', amount: 100, balanceAfter: 100, transferId: null, minute: 1 }),
        line({
          version: 3,
          position: 3,
          kind: 'withdrawal',
          amount: -30,
          balanceAfter: 70,
          transferId: null,
          minute: 1,
        }),
        line({
          version: 4,
          position: 4,
          kind: 'transfer-out',
          amount: -80,
          balanceAfter: -10,
          transferId: T1,
          minute: 2,
        }),
        line({ version: 5, position: 5, kind: 'refund', amount: 80, balanceAfter: 70, transferId: T1, minute: 2 }),
        line({ version: 6, position: 6, kind: 'transfer-in', amount: 5, balanceAfter: 75, transferId: T2, minute: 3 }),
        line({
          version: 7,
          position: 7,
          kind: 'withdrawal',
          amount: -75,
          balanceAfter: 0,
          transferId: null,
          minute: 3,
        }),
      ]));

  it("goes on from the balance of the account's last line in an earlier batch", () =>
    spec
      .given(opened(A), { ...stream(A, new MoneyDeposited(40)), recordedAt: at(1) })
      .when({ ...stream(A, new MoneyWithdrawn(15), new MoneyDeposited(5)), recordedAt: at(2) })
      .thenRows(StatementLine, [
        line({ version: 2, position: 2, kind: 'deposit', amount: 40, balanceAfter: 40, transferId: null, minute: 1 }),
        line({
          version: 3,
          position: 3,
          kind: 'withdrawal',
          amount: -15,
          balanceAfter: 25,
          transferId: null,
          minute: 2,
        }),
        line({ version: 4, position: 4, kind: 'deposit', amount: 5, balanceAfter: 30, transferId: null, minute: 2 }),
      ]));

  it('keeps a running balance per account when their movements interleave in one batch', () =>
    spec
      .given(opened(A), opened(B), { ...stream(B, new MoneyDeposited(1000)), recordedAt: at(1) })
      .when(
        { ...stream(A, new MoneyDeposited(10)), recordedAt: at(2) },
        { ...stream(B, new MoneyWithdrawn(1)), recordedAt: at(3) },
        { ...stream(A, new MoneyDeposited(20)), recordedAt: at(4) },
      )
      .thenRows(StatementLine, [
        line({ version: 2, position: 4, kind: 'deposit', amount: 10, balanceAfter: 10, transferId: null, minute: 2 }),
        line({ version: 3, position: 6, kind: 'deposit', amount: 20, balanceAfter: 30, transferId: null, minute: 4 }),
        line({
          accountId: B,
          version: 2,
          position: 3,
          kind: 'deposit',
          amount: 1000,
          balanceAfter: 1000,
          transferId: null,
          minute: 1,
        }),
        line({
          accountId: B,
          version: 3,
          position: 5,
          kind: 'withdrawal',
          amount: -1,
          balanceAfter: 999,
          transferId: null,
          minute: 3,
        }),
      ]));
});
