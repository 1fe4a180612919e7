import { CommandHandler, QueryBus, type ICommandHandler } from '@nestjs/cqrs';
import { type AggregateRepository, IdGenerator, type CommandOutcome, InjectAggregateRepository } from '#event-sourcing';
import { AggregateNotFoundError } from '#event-sourcing/domain';
import { ACCOUNT_STREAM_TYPE, GetAccount, type AccountTerms } from '../../../accounts/accounts.contract.js';
import { Transfer, type TransferStatus } from '../../domain/transfer.aggregate.js';
import { RequestTransfer } from './request-transfer.command.js';

@CommandHandler(RequestTransfer)
export class RequestTransferHandler implements ICommandHandler<RequestTransfer> {
  constructor(
    @InjectAggregateRepository(Transfer) private readonly transfers: AggregateRepository<Transfer>,
    private readonly ids: IdGenerator,
    private readonly queries: QueryBus,
  ) {}

  async execute(command: RequestTransfer): Promise<CommandOutcome<{ status: TransferStatus }>> {
    // Read once, outside the append: an account's currency never changes, and an id no
    // account has now never gets one (the server makes account ids), so nothing can race it.
    const [from, to] = await Promise.all([
      this.currencyOf(command.fromAccountId),
      this.currencyOf(command.toAccountId),
    ]);
    return this.transfers.create(command, () => {
      const transfer = Transfer.request(this.ids.next(), command.fromAccountId, command.toAccountId, command.amount, {
        from,
        to,
      });
      return { aggregate: transfer, result: { status: transfer.status } };
    });
  }

  private async currencyOf(accountId: string): Promise<string | undefined> {
    try {
      return (await this.queries.execute<GetAccount, AccountTerms>(new GetAccount(accountId))).currency;
    } catch (error) {
      if (error instanceof AggregateNotFoundError && error.streamType === ACCOUNT_STREAM_TYPE) return undefined;
      throw error;
    }
  }
}
