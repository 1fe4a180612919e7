import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { fieldErrorsOf, RequestValidationError, type FieldError } from './problem-details.js';

/** Deeper than any request of this API; class-transformer recurses and would overflow the stack on 10,000 levels. */
export const MAX_DEPTH = 32;

// ValidationPipe drops these keys without a word; the API refuses unknown fields (API.md, 400).
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/** The top-level field under which `value` nests deeper than MAX_DEPTH, looked for without recursion. */
function tooDeep(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const pending: [unknown, number, string][] = Object.entries(value).map(([key, child]) => [child, 2, key]);
  while (pending.length > 0) {
    const [node, depth, field] = pending.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_DEPTH) return field;
    for (const child of Object.values(node)) pending.push([child, depth + 1, field]);
  }
  return undefined;
}

function shapeErrors(value: unknown): FieldError[] {
  if (typeof value !== 'object' || value === null) return [];
  const errors = PROTOTYPE_KEYS.filter((key) => Object.hasOwn(value, key)).map((field) => ({
    field,
    message: `property ${field} should not exist`,
  }));
  const deep = tooDeep(value);
  if (deep !== undefined) errors.push({ field: deep, message: `${deep} nests deeper than ${MAX_DEPTH} levels` });
  return errors;
}

/**
 * The global ValidationPipe (whitelist, forbidNonWhitelisted, transform) answering with
 * field errors, which also refuses prototype keys and bodies nested too deep to transform.
 */
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => new RequestValidationError(fieldErrorsOf(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const errors = shapeErrors(value);
      if (errors.length > 0) throw new RequestValidationError(errors);
    }
    return super.transform(value, metadata);
  }
}
