import { Res } from '@nestjs/common';
import type { Response } from 'express';

type RouteMethod = ((...args: unknown[]) => Promise<unknown>) & { [ARITY]?: number };

// How many parameters a wrapped route takes with its wrapper's: a wrapper applied above another takes its own after them.
const ARITY = Symbol('answerWithArity');

/**
 * Wraps a route method so that `answer` makes the answer: it runs the route (`run`, after
 * anything that must come first) and gets the response (for headers) and the values of
 * `extras`, parameters of the wrapper's own after the route's. The route never sees them: it needs no `@Res`. The response comes
 * as `@Res({ passthrough: true })`, so Nest still sends what `answer` returns.
 *
 * A wrapper rather than an interceptor: an interceptor puts an RxJS pipeline around every
 * request, which cost a measurable share of the command path's CPU (docs/PERFORMANCE.md,
 * "Commands and HTTP"). Decorators written below the one that applies this keep what they
 * recorded on the method; the ones above see the wrapper.
 */
export function answerWith<V>(
  extras: ParameterDecorator[],
  answer: (run: () => Promise<V>, response: Response, extraValues: unknown[]) => Promise<unknown>,
): MethodDecorator {
  return (target, key, descriptor) => {
    const route = descriptor.value as unknown as RouteMethod;
    const declared = (Reflect.getMetadata('design:paramtypes', target, key) as unknown[] | undefined)?.length ?? 0;
    const own = route[ARITY] ?? Math.max(route.length, declared);
    extras.forEach((decorate, i) => decorate(target, key, own + i));
    Res({ passthrough: true })(target, key, own + extras.length);
    const answering = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const run = () => route.apply(this, args.slice(0, own)) as Promise<V>;
      return answer(run, args[own + extras.length] as Response, args.slice(own, own + extras.length));
    };
    for (const metadataKey of Reflect.getMetadataKeys(route)) {
      Reflect.defineMetadata(metadataKey, Reflect.getMetadata(metadataKey, route), answering);
    }
    Object.defineProperty(answering, 'name', { value: route.name });
    Object.defineProperty(answering, ARITY, { value: own + extras.length + 1 });
    descriptor.value = answering as unknown as typeof descriptor.value;
  };
}

/**
 * A read of an aggregate: the answer's `version` goes out as its strong `ETag`, for
 * `If-Match`. The version names the aggregate's state, not these bytes: an erasure or an
 * in-place migration changes what a version reads as (a past one too, `?version=`), so
 * the answer is not stored (`no-store`) and a conditional GET always gets it whole.
 */
export const AnswersWithVersion = (): MethodDecorator =>
  answerWith<{ version: number }>([], async (run, response) => {
    const value = await run();
    response.setHeader('ETag', `"${value.version}"`);
    response.setHeader('Cache-Control', 'no-store');
    // Express would answer 304 to an If-None-Match naming the version, whatever changed since.
    delete response.req.headers['if-none-match'];
    return value;
  });
