import { bindApplier } from './appliers.js';
import { EventRegistry, type EventClass } from './event-registry.js';

/**
 * Marks the method of an aggregate that applies one event class: `apply(event)` and replay
 * call it with each event of that class. The binding is by class, so the method's name is
 * free (`on<Event>` by convention) and renaming the event or its stored type changes nothing.
 *
 * ```ts
 *   @Applies(MoneyDeposited)
 *   onMoneyDeposited(event: MoneyDeposited): void {
 *     this.balance += event.amount;
 *   }
 * ```
 *
 * An applier only copies the event's data into state (it also runs on replay: no rules,
 * clock or I/O). Each event class listed in the aggregate's `static events` needs exactly one;
 * `EventSourcingModule.forFeature` checks that at start.
 * @throws Error, when the class is defined, for an event class without `@DomainEvent`, an
 * undefined one (an import cycle) or a second applier of the same event in the same class
 */
export function Applies<E extends object>(eventClass: EventClass<E>) {
  return <M extends (event: E) => void>(
    target: object,
    method: string | symbol,
    _descriptor: TypedPropertyDescriptor<M>,
  ): void => {
    const aggregateClass = target.constructor as abstract new (...args: never[]) => object;
    const where = `@Applies on ${aggregateClass.name}.${String(method)}`;
    if (typeof eventClass !== 'function') {
      throw new Error(`${where} names no class (${String(eventClass)}): is there an import cycle?`);
    }
    if (!EventRegistry.isRegistered(eventClass)) {
      throw new Error(`${where}: ${eventClass.name} is not an event (it has no @DomainEvent decorator)`);
    }
    bindApplier(aggregateClass, eventClass, method);
  };
}
