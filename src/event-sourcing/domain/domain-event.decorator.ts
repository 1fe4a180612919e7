import { EventRegistry, type EventClass } from './event-registry.js';

/**
 * Marks a class as a domain event stored under a stable type name, so renaming the
 * class never breaks stored history.
 *
 * ```ts
 *   @DomainEvent('MoneyDeposited', { version: 1 })
 *   export class MoneyDeposited { constructor(readonly amount: number) {} }
 * ```
 */
export function DomainEvent(type: string, options: { version?: number } = {}): ClassDecorator {
  return (target) => {
    EventRegistry.register({ type, schemaVersion: options.version ?? 1, eventClass: target as unknown as EventClass });
  };
}
