/** The stream was not at the version the writer expected: someone else wrote first. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      actualVersion === undefined
        ? `Stream ${streamId} was changed concurrently; expected version ${expectedVersion}`
        : `Stream ${streamId} is at version ${actualVersion}, expected ${expectedVersion}`,
    );
  }
}

/** Nothing has ever been appended to this stream (at the requested point in time). */
export class AggregateNotFoundError extends Error {
  constructor(
    readonly streamType: string,
    readonly streamId: string,
  ) {
    super(`${streamType} ${streamId} does not exist`);
  }
}

/** An Idempotency-Key was used before for a different command. */
export class IdempotencyKeyReusedError extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key "${key}" was already used for a different request`);
  }
}

/** A stored event that the code cannot read: no class for its type or version, or a payload that does not decode. */
export class UnreadableEventError extends Error {
  constructor(
    readonly position: number,
    readonly type: string,
    readonly schemaVersion: number,
    reason: string,
  ) {
    super(`Cannot read the event at position ${position} (type ${type}, schema version ${schemaVersion}): ${reason}`);
  }
}

/**
 * Base class for the refusals a domain expects (insufficient funds, closed account):
 * the interface layer answers them with 422; everything else unexpected is a bug.
 */
export abstract class DomainRuleViolation extends Error {
  /** A stable, machine-readable name, e.g. `insufficient_funds`. */
  abstract readonly code: string;
}

/**
 * A refusal that holds only until something under way ends (a transfer in flight, say): the
 * interface layer answers it with 409 rather than 422, as the same request may pass later.
 */
export abstract class DomainConflict extends DomainRuleViolation {}
