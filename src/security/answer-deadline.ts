import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AnswerDeadlineError, answerWithProblem } from '#event-sourcing/http';

/**
 * Answers 503 (with `Retry-After`) any request still unanswered `ms` after its body was
 * read, so that a client never waits longer, whatever holds the answer up: the database's
 * own bounds (DATABASE_POOL_WAIT_MS, DATABASE_QUERY_TIMEOUT_MS) apply per step, and a
 * command takes several. The work goes on: a late answer is dropped (the problem filter
 * ignores a response already sent), and a command it stored is found again by its
 * Idempotency-Key when the client retries. An event stream has sent its headers at once,
 * so it is never cut. 0: no deadline.
 */
export function answerWithin(ms: number): RequestHandler {
  return (_request: Request, response: Response, next: NextFunction) => {
    if (ms === 0) return next();
    const timer = setTimeout(() => {
      if (response.headersSent) return;
      answerWithProblem(
        response,
        new AnswerDeadlineError(
          `No answer within ${ms} ms; try again after Retry-After (a command sent again with its Idempotency-Key is applied once)`,
        ),
      );
    }, ms);
    const done = () => clearTimeout(timer);
    response.once('finish', done);
    response.once('close', done);
    next();
  };
}
