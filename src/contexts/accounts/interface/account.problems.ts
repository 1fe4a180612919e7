import { AggregateNotFoundError } from '#event-sourcing/domain';
import { problemExample, EXAMPLE_ID } from '#event-sourcing/http';
import { Account } from '../domain/account.aggregate.js';
import {
  AccountClosedError,
  BalanceLimitExceeded,
  BalanceNotZero,
  InsufficientFunds,
  TransferInFlight,
} from '../domain/account.errors.js';

/** The problems of the accounts API, for its OpenAPI document. */
export const ACCOUNT_PROBLEMS = {
  notFound: problemExample('No account has this id', new AggregateNotFoundError(Account.streamType, EXAMPLE_ID)),
  notFoundThen: problemExample(
    'No account has this id, or it did not exist yet at `version` or `asOf`',
    new AggregateNotFoundError(Account.streamType, EXAMPLE_ID),
  ),
  insufficientFunds: problemExample(
    'The balance plus the overdraft limit is less than the amount',
    new InsufficientFunds(EXAMPLE_ID, 8000, 9000),
  ),
  closed: problemExample('The account is closed', new AccountClosedError(EXAMPLE_ID)),
  balanceNotZero: problemExample(
    'Only an account with a balance of 0 can be closed',
    new BalanceNotZero(EXAMPLE_ID, 7500),
  ),
  balanceLimitExceeded: problemExample(
    `The balance would pass ${Number.MAX_SAFE_INTEGER}, the largest exact integer of JavaScript, if the transfers the account sent that are still in flight came back`,
    new BalanceLimitExceeded(EXAMPLE_ID),
  ),
  transferInFlight: problemExample(
    'A transfer the account sent has neither completed nor failed yet: retry once it has',
    new TransferInFlight(EXAMPLE_ID, 1),
  ),
};
