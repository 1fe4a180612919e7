/**
 * The default snapshot's encoding of state values as JSON: what JSON holds as it is, and
 * Maps, Sets, Dates and `undefined` as one-key objects tagged with what they were, so that a
 * restored aggregate gets them back as they were. A plain object whose only key looks like a
 * tag is wrapped, so no data is ever read as a tag.
 */
const MAP = '@map';
const SET = '@set';
const DATE = '@date';
const UNDEFINED = '@undefined';
const OBJECT = '@object';
const TAGS: ReadonlySet<string> = new Set([MAP, SET, DATE, UNDEFINED, OBJECT]);

/** A value the default snapshot cannot store as it is (a class instance, a function, NaN...). */
export class UnstorableValueError extends Error {}

const isPlainObject = (value: object): value is Record<string, unknown> =>
  Object.getPrototypeOf(value) === Object.prototype;

/**
 * The value as JSON that {@link decodeValue} turns back into an equal value, sharing nothing with it.
 * @throws UnstorableValueError for a value it cannot give back as it was
 */
export function encodeValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      break;
    case 'undefined':
      return { [UNDEFINED]: true };
    case 'object':
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(encodeValue);
      if (value instanceof Map) {
        return { [MAP]: Array.from(value, ([key, item]) => [encodeValue(key), encodeValue(item)]) };
      }
      if (value instanceof Set) return { [SET]: Array.from(value, encodeValue) };
      if (value instanceof Date) return { [DATE]: value.toISOString() };
      if (isPlainObject(value)) {
        const keys = Object.keys(value);
        const encoded: Record<string, unknown> = {};
        for (const key of keys) encoded[key] = encodeValue(value[key]);
        return keys.length === 1 && TAGS.has(keys[0]) ? { [OBJECT]: encoded } : encoded;
      }
      throw new UnstorableValueError(
        `an instance of ${(value.constructor as { name?: string } | undefined)?.name ?? 'no class'}`,
      );
  }
  throw new UnstorableValueError(typeof value === 'number' ? String(value) : `a ${typeof value}`);
}

/** The value {@link encodeValue} encoded, built anew. */
export function decodeValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1) {
    const tagged = record[keys[0]];
    switch (keys[0]) {
      case MAP:
        return new Map((tagged as [unknown, unknown][]).map(([key, item]) => [decodeValue(key), decodeValue(item)]));
      case SET:
        return new Set((tagged as unknown[]).map(decodeValue));
      case DATE:
        return new Date(tagged as string);
      case UNDEFINED:
        return undefined;
      case OBJECT:
        return decodeObject(tagged as Record<string, unknown>);
    }
  }
  return decodeObject(record);
}

function decodeObject(record: Record<string, unknown>): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const key of Object.keys(record)) decoded[key] = decodeValue(record[key]);
  return decoded;
}
