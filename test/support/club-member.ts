import type { EventBus } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { AggregateRepository, Command, CommandContext, CommandResult } from '#event-sourcing';
import { Applies, DomainEvent, EventSourcedAggregate, type SnapshotSettings } from '#event-sourcing/domain';

/** A test aggregate for loading paths: personal data in its first event and its snapshots, a list in its state. */
export const ERASED = '(erased)';

@DomainEvent('TestClubJoined', { personal: { name: ERASED } })
export class Joined {
  constructor(readonly name: string) {}
}

@DomainEvent('TestClubPaid')
export class Paid {
  constructor(readonly amount: number) {}
}

/** A member whose name is personal data; its payments go in a list, so a state shared between loads would show. */
export class Member extends EventSourcedAggregate {
  static readonly streamType = 'TestClubMember';
  static readonly events = [Joined, Paid];
  static readonly snapshots: SnapshotSettings = { version: 1, every: 5, personal: { name: ERASED } };
  name = '';
  payments: number[] = [];
  restored = false;

  get total(): number {
    return this.payments.reduce((sum, amount) => sum + amount, 0);
  }

  @Applies(Joined)
  onJoined(event: Joined): void {
    this.name = event.name;
  }

  @Applies(Paid)
  onPaid(event: Paid): void {
    this.payments.push(event.amount);
  }

  // A snapshot written by hand, the exception: its restore keeps the list it is given, as a
  // restore may, so every load must be handed a state of its own.
  protected override toSnapshot(): Record<string, unknown> {
    return { name: this.name, payments: [...this.payments] };
  }

  protected override restore(state: Record<string, unknown>): void {
    this.restored = true;
    this.name = state.name as string;
    this.payments = state.payments as number[];
  }
}

const context: CommandContext = { commandId: 'command-1', correlationId: 'correlation-1' };
// Results of every shape: each test decides what its commands answer.
export const command = { context } as Command<CommandResult>;
export const eventBus = { publishAll: () => undefined } as unknown as EventBus;

/** A new member, through the repository. */
export async function join(repository: AggregateRepository<Member>, name = 'Ada Lovelace'): Promise<string> {
  const id = `member-${randomUUID()}`;
  await repository.create(command, () => {
    const joined = new Member(id);
    joined.apply(new Joined(name));
    return { aggregate: joined, result: {} };
  });
  return id;
}
