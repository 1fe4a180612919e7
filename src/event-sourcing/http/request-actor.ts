import type { Request } from 'express';

interface Actor {
  id: string;
  actsForAnyOwner: boolean;
}

// Keyed by the request object itself, so nothing a client sends can set it.
const actors = new WeakMap<Request, Actor>();

/**
 * Records who sent the request; for whatever authenticates requests (see src/auth/).
 * `actsForAnyOwner`: the sender holds a role that may act on streams others own
 * (see {@link OwnedStreams}); otherwise it may act on its own only.
 */
export function setRequestActor(request: Request, actorId: string, { actsForAnyOwner = false } = {}): void {
  actors.set(request, { id: actorId, actsForAnyOwner });
}

/** Who sent the request, if something authenticated it: the `actorId` of the events its command appends. */
export function requestActor(request: Request): string | undefined {
  return actors.get(request)?.id;
}

/**
 * Whose streams the request may act on and list: its actor's own, or anyone's (undefined)
 * when nothing authenticated it (authentication off, a public route) or its actor acts for any owner.
 */
export function ownerScopeOf(request: Request): string | undefined {
  const actor = actors.get(request);
  return actor && !actor.actsForAnyOwner ? actor.id : undefined;
}
