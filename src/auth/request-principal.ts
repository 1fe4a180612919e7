import type { Request } from 'express';
import type { Principal } from './bearer-token.verifier.js';

// Keyed by the request object itself, so nothing a client sends can set it.
const principals = new WeakMap<Request, Principal>();

/** Records who authenticated the request, with their roles; for the guard. */
export function setRequestPrincipal(request: Request, principal: Principal): void {
  principals.set(request, principal);
}

/** Who authenticated the request, if authentication is on and the route is not public. */
export function requestPrincipal(request: Request): Principal | undefined {
  return principals.get(request);
}
