import type { NextFunction, Request, Response } from 'express';
import { RequestValidationError } from '#event-sourcing/http';

/**
 * C0 control characters and DEL. No name, id, cursor or filter of this API holds one, and
 * a NUL cannot even be stored in PostgreSQL text: such a value is refused at the door.
 */
// eslint-disable-next-line no-control-regex -- finding them is the point
export const CONTROL_CHARACTER = /[\x00-\x1f\x7f]/;

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

/**
 * Refuses, before routing and authentication, a request whose decoded path or query (names
 * and values) holds a control character: a 400 problem naming where, instead of a 500 from
 * the database or a value no check expected. Header values need no check here: Node's HTTP
 * parser answers 400 to any control character in them but a tab.
 */
export function refuseControlCharacters(request: Request, _response: Response, next: NextFunction): void {
  const field = CONTROL_CHARACTER.test(decoded(request.path)) ? 'path' : queryField(request.query);
  if (field === undefined) return next();
  next(new RequestValidationError([{ field, message: `${field} must not contain control characters` }]));
}
