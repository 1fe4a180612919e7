/** Who asked for a command and how: becomes the metadata of the events it appends. */
export interface CommandContext {
  /** Unique per command; the causation id of the events it appends. */
  commandId: string;
  /** Shared by everything one request or process sets off. */
  correlationId: string;
  /** From `Idempotency-Key`: a repeat appends nothing and gets the first answer. */
  idempotencyKey?: string;
  /** From `If-Match`: apply only at this version, and never retry. */
  expectedVersion?: number;
  /** Who asked, as authentication vouched for it (a token's subject); absent when nothing did. */
  actorId?: string;
}

/** A command that can be repeated safely: its fields (other than `context`) tell repeats apart. */
export interface Command {
  readonly context: CommandContext;
}

/** What every successful command answers: where the aggregate stands now, plus its own result. */
export interface CommandOutcome<R extends Record<string, unknown>> {
  id: string;
  version: number;
  position: number;
  result: R;
}
