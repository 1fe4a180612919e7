import { AggregateNotFoundError } from '#event-sourcing/domain';
import { problemExample, EXAMPLE_ID } from '#event-sourcing/http';
import { ACCOUNT_STREAM_TYPE } from '../../accounts/accounts.contract.js';
import { Transfer } from '../domain/transfer.aggregate.js';
import { CurrencyMismatch, SameAccountTransfer } from '../domain/transfer.errors.js';

/** The problems of the transfers API, for its OpenAPI document. */
export const TRANSFER_PROBLEMS = {
  notFound: problemExample('No transfer has this id', new AggregateNotFoundError(Transfer.streamType, EXAMPLE_ID)),
  sourceNotFound: problemExample(
    "Authentication is on and the source account is not one of the token's subject (or does not exist)",
    new AggregateNotFoundError(ACCOUNT_STREAM_TYPE, EXAMPLE_ID),
  ),
  sameAccount: problemExample('Both sides name the same account', new SameAccountTransfer(EXAMPLE_ID)),
  currencyMismatch: problemExample(
    'The two accounts hold different currencies (the example has no exchange rates)',
    new CurrencyMismatch('EUR', 'JPY'),
  ),
};
