import { Command as CqrsCommand } from '@nestjs/cqrs';

/** Who asked for a command and how: becomes the metadata of the events it appends. */
export interface CommandContext {
  /** Unique per command; the causation id of the events it appends. */
  commandId: string;
  /** Shared by everything one request or process sets off. */
  correlationId: string;
  /** From `Idempotency-Key`: a repeat appends nothing and gets the first answer. */
  idempotencyKey?: string;
  /**
   * Where the key counts: keys of two scopes never meet. The HTTP edge scopes each key to
   * its caller, method and route (the composite key of the IETF draft's section 5).
   * Absent, the key is stored as it is: for keys that name their own origin, such as a
   * process manager's, made from the event that caused the command.
   */
  idempotencyScope?: string;
  /** From `If-Match`: apply only at this version, and never retry. */
  expectedVersion?: number;
  /** Who asked, as authentication vouched for it (a token's subject); absent when nothing did. */
  actorId?: string;
}

/** What a command answers besides where its aggregate stands: plain JSON, stored with its idempotency key. */
export type CommandResult = Record<string, unknown>;

/** What every successful command answers: where the aggregate stands now, plus its own result. */
export interface CommandOutcome<R extends CommandResult = Record<string, never>> {
  id: string;
  version: number;
  position: number;
  result: R;
}

/**
 * A command that can be repeated safely: its fields (other than `context`) tell repeats
 * apart. `R` is its own result, so `CommandBus.execute(command)` resolves to a
 * `CommandOutcome<R>` without a cast, and a handler that answers otherwise does not compile.
 */
export abstract class Command<R extends CommandResult = Record<string, never>> extends CqrsCommand<CommandOutcome<R>> {
  abstract readonly context: CommandContext;
}
