import type { Request } from 'express';

interface RouteLayer {
  match(path: string): unknown;
  route?: { path: string; _methods(): string[] };
}

/**
 * The methods some route of the app answers on this request's path, from Express's own
 * route table (Nest registers every controller route there). Catch-all routes (a `*` in
 * their path: middleware Nest applies to every route) say nothing about the path and are
 * left out. Empty: no route has the path.
 */
export function allowedMethods(request: Request): string[] {
  const stack = (request.app as unknown as { router?: { stack?: RouteLayer[] } }).router?.stack ?? [];
  const methods = stack
    .filter((layer) => layer.route !== undefined && !layer.route.path.includes('*') && layer.match(request.path))
    .flatMap((layer) => layer.route!._methods().map((method) => method.toUpperCase()));
  return [...new Set(methods)].sort();
}
