import type { PersonalFields } from './personal-fields.js';
import { EventRegistry, type EventClass, type Upcasters } from './event-registry.js';

export interface DomainEventOptions {
  /** The current schema version, 1 by default. Raise it when the shape of the data changes. */
  version?: number;
  /**
   * Converts stored data of older schema versions to the current one, keyed by the version
   * each upcaster reads: `{ 1: v1ToV2, 2: v2ToV3 }`. Every version from the lowest key up to
   * `version - 1` needs one. Applied by the event stores on every read.
   */
  upcasters?: Upcasters;
  /**
   * Former names of the type: stored events under these names read as this type (same
   * schema version numbering). Never reuse an alias for another type.
   */
  aliases?: readonly string[];
  /**
   * Personal data: these fields are stored encrypted with a key of the event's stream
   * (its data subject), and read as the value given here once that key is erased
   * (crypto-shredding, docs/ENCRYPTION.md): `{ owner: '[erased]' }`.
   */
  personal?: PersonalFields;
}

/**
 * Marks a class as a domain event stored under a stable type name, so renaming the
 * class never breaks stored history. See docs/EVOLVING-EVENTS.md for changing its shape.
 *
 * ```ts
 *   @DomainEvent('MoneyDeposited', { version: 1 })
 *   export class MoneyDeposited { constructor(readonly amount: number) {} }
 *
 *   @DomainEvent('AccountOpened', {
 *     version: 2,
 *     aliases: ['AccountCreated'],
 *     upcasters: { 1: (v1) => ({ ...v1, currency: v1.currency ?? 'EUR' }) },
 *   })
 *   export class AccountOpened { ... }
 * ```
 */
export function DomainEvent(type: string, options: DomainEventOptions = {}): ClassDecorator {
  return (target) => {
    EventRegistry.register({
      type,
      schemaVersion: options.version ?? 1,
      eventClass: target as unknown as EventClass,
      aliases: options.aliases,
      upcasters: options.upcasters,
      personal: options.personal,
    });
  };
}
