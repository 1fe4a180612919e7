import { DECORATORS, getSchemaPath, type ResponseObject } from '@nestjs/swagger';
import { responseHeaders } from './api-headers.js';
import { ProblemDetails } from './problem-details.js';
import { PROBLEM_TYPE_PREFIX, toProblem } from './problem-details.filter.js';

/** A problem a route may answer with, and when: an example in the OpenAPI document. */
export interface ProblemExample {
  /** When the route answers with it. */
  when: string;
  problem: ProblemDetails;
}

/**
 * Documents `error` as a problem a route may answer with. The example is what
 * ProblemDetailsFilter makes of that very error, so the documented `type`, `title` and
 * `status` are the ones clients get.
 */
export function problemExample(when: string, error: unknown): ProblemExample {
  return { when, problem: toProblem(error) };
}

// The key of an example in its response: the slug of its type, or the title for about:blank.
const exampleName = ({ type, title }: ProblemDetails) =>
  type.startsWith(PROBLEM_TYPE_PREFIX)
    ? type.slice(PROBLEM_TYPE_PREFIX.length)
    : title.toLowerCase().replaceAll(' ', '-');

/** The OpenAPI response for problems of one status: application/problem+json, one example per problem. */
export function problemResponse(examples: ProblemExample[]): ResponseObject {
  const { status } = examples[0].problem;
  const headers =
    status === 401
      ? responseHeaders('WWW-Authenticate')
      : status === 429 || status === 503
        ? responseHeaders('Retry-After')
        : undefined;
  return {
    description: examples
      .map(({ problem, when }) => `${examples.length > 1 ? '- ' : ''}\`${problem.type}\`: ${when}`)
      .join('\n'),
    ...(headers ? { headers } : {}),
    content: {
      'application/problem+json': {
        schema: { $ref: getSchemaPath(ProblemDetails) },
        examples: Object.fromEntries(
          examples.map(({ problem, when }) => [exampleName(problem), { summary: when, value: problem }]),
        ),
      },
    },
  };
}

const EXAMPLES = Symbol('chronicle:problem-examples');

/**
 * Documents problems (RFC 9457) a route, or every route of a controller, may answer with:
 * one response per status, listing every problem of that status documented on the same
 * target, in the order the decorators are written.
 */
export function ApiProblemResponses(...examples: ProblemExample[]): MethodDecorator & ClassDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor?.value as object | undefined) ?? target;
    // Decorators run bottom-up: the ones written above come first.
    const all: ProblemExample[] = [...examples, ...(Reflect.getMetadata(EXAMPLES, holder) ?? [])];
    Reflect.defineMetadata(EXAMPLES, all, holder);
    const responses = { ...Reflect.getMetadata(DECORATORS.API_RESPONSE, holder) };
    for (const status of new Set(all.map((example) => example.problem.status))) {
      responses[status] = problemResponse(all.filter((example) => example.problem.status === status));
    }
    Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, holder);
  };
}
