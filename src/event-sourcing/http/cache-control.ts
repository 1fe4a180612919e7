import type { NextFunction, Request, Response } from 'express';

/**
 * No answer of the API is fixed for ever: views move on, the last page of the log grows,
 * and an erasure, an in-place migration or a re-encoding rewrites what older answers
 * showed. So a cache may keep an answer only to revalidate it on every use (`no-cache`,
 * against an `ETag` that changes with the bytes), and never shares one given to a request
 * that carried credentials (`private`). A route that must not be stored at all sets its
 * own `Cache-Control` over this one.
 */
export function revalidateEveryAnswer(request: Request, response: Response, next: NextFunction): void {
  response.setHeader('Cache-Control', request.headers.authorization === undefined ? 'no-cache' : 'private, no-cache');
  next();
}
