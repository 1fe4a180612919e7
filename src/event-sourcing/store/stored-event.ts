/** Travels with every event, apart from its domain data. */
export interface EventMetadata {
  correlationId: string;
  causationId: string;
  idempotencyKey?: string;
  /** The authenticated user who set the command off (see CommandContext.actorId). */
  actorId?: string;
  [key: string]: unknown;
}

export interface NewEvent {
  id: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface StoredEvent extends NewEvent {
  /** Global position in the log: strictly increasing in the order log readers see events. */
  position: number;
  streamId: string;
  streamType: string;
  /** 1 for a stream's first event, then +1 per event. */
  version: number;
  recordedAt: Date;
}
