import { AggregateNotFoundError } from '#event-sourcing/domain';
import { problemExample, EXAMPLE_ID } from '#event-sourcing/http';
import { Transfer } from '../domain/transfer.aggregate.js';
import { CurrencyMismatch, SameAccountTransfer } from '../domain/transfer.errors.js';

/** The problems of the transfers API, for its OpenAPI document. */
export const TRANSFER_PROBLEMS = {
  notFound: problemExample('No transfer has this id', new AggregateNotFoundError(Transfer.streamType, EXAMPLE_ID)),
  sameAccount: problemExample('Both sides name the same account', new SameAccountTransfer(EXAMPLE_ID)),
  currencyMismatch: problemExample(
    'The two accounts hold different currencies (the example has no exchange rates)',
    new CurrencyMismatch('EUR', 'JPY'),
  ),
};
