import type { NextFunction, Request, Response } from 'express';
import { RequestValidationError } from '#event-sourcing/http';

/**
 * C0 control characters and DEL. No name, id, cursor or filter of this API holds one, and
 * a NUL cannot even be stored in PostgreSQL text: such a value is refused at the door.
 */
// eslint-disable-next-line no-control-regex -- finding them is the point
export const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;
// HTTP allows a tab inside a header value (RFC 9110, 5.5); Node's parser refuses the other controls already.
// eslint-disable-next-line no-control-regex -- as above
const HEADER_CONTROL_CHARACTER = /[\x00-\x08\x0a-\x1f\x7f]/;

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // Malformed percent-encoding: the router's own problem; the raw path holds no control character.
    return path;
  }
}

/** The query parameter (`name`, or `name.key` for a nested one) whose name or value holds a control character. */
function queryField(query: unknown, prefix = ''): string | undefined {
  if (typeof query === 'string') return CONTROL_CHARACTER.test(query) ? prefix : undefined;
  if (typeof query !== 'object' || query === null) return undefined;
  for (const [key, value] of Object.entries(query)) {
    const field = prefix === '' ? key : `${prefix}.${key}`;
    if (CONTROL_CHARACTER.test(key)) return field;
    const found = queryField(value, field);
    if (found !== undefined) return found;
  }
  return undefined;
}

function headerField(request: Request): string | undefined {
  const [name] =
    Object.entries(request.headers).find(([, value]) =>
      [value ?? []].flat().some((text) => HEADER_CONTROL_CHARACTER.test(text)),
    ) ?? [];
  return name;
}

/**
 * Refuses, before routing and authentication, a request whose decoded path, query (names
 * and values) or header values hold a control character: a 400 problem naming where,
 * instead of a 500 from the database or a value no check expected.
 */
export function refuseControlCharacters(request: Request, _response: Response, next: NextFunction): void {
  const field = CONTROL_CHARACTER.test(decoded(request.path))
    ? 'path'
    : (queryField(request.query) ?? headerField(request));
  if (field === undefined) return next();
  next(new RequestValidationError([{ field, message: `${field} must not contain control characters` }]));
}
