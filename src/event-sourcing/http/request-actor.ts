import type { Request } from 'express';

// Keyed by the request object itself, so nothing a client sends can set it.
const actors = new WeakMap<Request, string>();

/** Records who sent the request; for whatever authenticates requests (see src/auth/). */
export function setRequestActor(request: Request, actorId: string): void {
  actors.set(request, actorId);
}

/** Who sent the request, if something authenticated it: the `actorId` of the events its command appends. */
export function requestActor(request: Request): string | undefined {
  return actors.get(request);
}
