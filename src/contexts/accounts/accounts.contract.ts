/**
 * What the accounts context offers other contexts: the commands they may send, the query
 * they may ask, the events they may follow and the refusals they may meet. Other contexts
 * import accounts only through this file, never its domain/ or application/ folders.
 */
import { Account } from './domain/account.aggregate.js';

export { GetAccount } from './application/get-account/get-account.query.js';
export { ReceiveTransfer } from './application/receive-transfer/receive-transfer.command.js';
export { RecordTransferDelivered } from './application/record-transfer-delivered/record-transfer-delivered.command.js';
export { RefundTransfer } from './application/refund-transfer/refund-transfer.command.js';
export { SendTransfer } from './application/send-transfer/send-transfer.command.js';
export { AccountClosedError, BalanceLimitExceeded, InsufficientFunds } from './domain/account.errors.js';
export { TransferReceived } from './domain/events/transfer-received.event.js';
export { TransferRefunded } from './domain/events/transfer-refunded.event.js';
export { TransferSent } from './domain/events/transfer-sent.event.js';

/** What another context may read of the account `GetAccount` answers with. */
export type AccountTerms = Pick<Account, 'currency'>;

/** The stream type of accounts, as an `AggregateNotFoundError` names it. */
export const ACCOUNT_STREAM_TYPE: string = Account.streamType;
