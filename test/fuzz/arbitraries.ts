import fc from 'fast-check';

/** Strings that broke or could break something on the way to PostgreSQL and back. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\u202eevil\u202c',
  'zero\u200bwidth\ufeff',
  'שָׁלוֹם',
  '👩‍👩‍👧‍👦',
  "' OR 1=1 --",
  '%00',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  'x'.repeat(201),
  'y'.repeat(100_000),
];

/** Numbers at and past every bound of the API, and the ones JSON has no word for (they become null). */
const NASTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  1.5,
  -1.5,
  1e12,
  1e12 + 1,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

/** Decimal-looking text the API must not read as an integer (QueryInteger takes /^\d{1,16}$/ only). */
const NUMERIC_STRINGS = ['1e3', '0x10', ' 5', '5 ', '+5', '-1', '1.0', '1,5', '٣', '１', 'NaN', 'Infinity', '0'];

export const nastyString = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.constantFrom(...NUMERIC_STRINGS), weight: 2 },
);

export const nastyNumber = fc.oneof(
  fc.constantFrom(...NASTY_NUMBERS),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => Number(n)),
);

/** Any JSON value, or one of the above: what a field of the wrong type may hold. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  nastyNumber,
  fc.constantFrom(null, true, false),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Keys a body must not get away with: unknown, prototype-shaped, numeric, odd. */
export const unknownKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '0', '', 'id', 'version', 'position'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
);

/**
 * encodeURIComponent, which throws on a lone surrogate: that one is written as the three
 * bytes WTF-8 gives it, which are not UTF-8, as a careless client would send them.
 */
export function percentEncode(text: string): string {
  let encoded = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    encoded +=
      char.length === 1 && unit >= 0xd800 && unit <= 0xdfff
        ? [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
            .map((byte) => `%${byte.toString(16).toUpperCase()}`)
            .join('')
        : encodeURIComponent(char);
  }
  return encoded;
}

/** A query string written pair by pair, so that a key may come twice. */
export const queryText = (pairs: [string, string][]): string =>
  pairs.map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`).join('&');

export type Entries = [string, unknown][];

/**
 * JSON text of an object written entry by entry: `__proto__` stays an own key (JSON.stringify
 * of an object literal would have set the prototype instead) and a key may come twice.
 */
export function objectText(entries: Entries): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}`).join(',')}}`;
}

/**
 * The entries of a body for a DTO with `fields` (each with its valid values): every field
 * valid, of a wrong type, or absent, sometimes twice, sometimes with unknown keys.
 */
export function bodyEntries(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Entries> {
  const field = ([name, valid]: [string, fc.Arbitrary<unknown>]) =>
    fc.oneof(
      { arbitrary: valid.map((value): Entries => [[name, value]]), weight: 3 },
      { arbitrary: anyValue.map((value): Entries => [[name, value]]), weight: 2 },
      { arbitrary: fc.constant<Entries>([]), weight: 1 },
      {
        arbitrary: fc.tuple(anyValue, valid).map(([a, b]): Entries => [
          [name, a],
          [name, b],
        ]),
        weight: 1,
      },
    );
  const extra = fc.oneof(
    { arbitrary: fc.constant<Entries>([]), weight: 4 },
    { arbitrary: fc.array(fc.tuple(unknownKey, anyValue), { minLength: 1, maxLength: 3 }), weight: 1 },
  );
  return fc
    .tuple(fc.tuple(...Object.entries(fields).map(field)), extra)
    .map(([parts, unknown]) => [...parts.flat(), ...unknown]);
}

/** Nested `depth` levels deep: arrays, objects, or both. */
export const deepText = fc
  .tuple(fc.constantFrom(33, 200, 10_000), fc.constantFrom('array', 'object'))
  .map(([depth, kind]) =>
    kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** Text that is not a JSON object: other JSON, JSON cut short, no JSON at all, very long. */
export const notAnObjectText = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.nat()).map(([value, cut]) => {
    const text = JSON.stringify({ owner: value });
    return text.slice(0, cut % text.length);
  }),
  nastyString,
  fc.constantFrom('{"amount":1e400}', '{"amount":-}', '{,}', '{"a":1,}', "{'a':1}", '\ufeff{}', 'NaN'),
  // Just under and just over the default BODY_LIMIT of 100 kB.
  fc.constantFrom(99_000, 101 * 1024).map((size) => JSON.stringify({ owner: 'o'.repeat(size) })),
);

export const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  undefined,
);

const HEADER_CHARS = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constantFrom(0x09, 0x80, 0xa0, 0xe9, 0xff));

/** A header value Node lets a client send: visible ASCII, space, tab and Latin-1. */
export const headerJunk = fc.oneof(
  fc.array(HEADER_CHARS, { maxLength: 30 }).map((codes) => String.fromCharCode(...codes)),
  fc.constantFrom('', ' ', '"1"', 'W/"1"', '"1", "2"', '"-1"', '"1e3"', '*', '"99999999999"', 'x'.repeat(201)),
  nastyNumber.map(String),
);

/** The headers every command reads, each absent, valid, or junk. */
export const commandHeaders = fc.record(
  {
    'If-Match': fc.oneof(
      headerJunk,
      fc.integer({ min: 0, max: 3 }).map((v) => `"${v}"`),
    ),
    'Idempotency-Key': fc.oneof(headerJunk, fc.uuid()),
    'X-Correlation-Id': fc.oneof(headerJunk, fc.uuid()),
  },
  { requiredKeys: [] },
);

/** Almost-UUIDs and plain junk for `{id}` path segments, percent-encoded, a few with broken encoding. */
export const idSegment = fc.oneof(
  fc.uuid().map((id) => percentEncode(id)),
  fc
    .uuid()
    .chain((id) =>
      fc
        .constantFrom(
          id.toUpperCase(),
          id.slice(1),
          `${id}0`,
          id.replaceAll('-', ''),
          `{${id}}`,
          `urn:uuid:${id}`,
          id.replace(/^./, 'g'),
          ` ${id}`,
          `${id}\u0000`,
        )
        .map(percentEncode),
    ),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '%E0%A4%A',
    '%',
    '%00',
  ),
  nastyString.filter((text) => text.length < 1000).map(percentEncode),
);

/** A query value: junk, numeric-looking, or a plausible integer. */
export const queryValue = fc.oneof(
  nastyString.filter((text) => text.length < 1000),
  nastyNumber.map(String),
  fc.integer({ min: 0, max: 5 }).map(String),
);

/** Query pairs for a route reading `fields`: each valid, junk or absent, sometimes twice, sometimes with unknown keys. */
export function queryPairs(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<[string, string][]> {
  const field = ([name, valid]: [string, fc.Arbitrary<string>]) =>
    fc.oneof(
      { arbitrary: valid.map((value): [string, string][] => [[name, value]]), weight: 2 },
      { arbitrary: queryValue.map((value): [string, string][] => [[name, value]]), weight: 2 },
      { arbitrary: fc.constant<[string, string][]>([]), weight: 2 },
      {
        arbitrary: fc.tuple(valid, valid).map(([a, b]): [string, string][] => [
          [name, a],
          [name, b],
        ]),
        weight: 1,
      },
    );
  const extra = fc.oneof(
    { arbitrary: fc.constant<[string, string][]>([]), weight: 4 },
    { arbitrary: fc.array(fc.tuple(unknownKey, queryValue), { minLength: 1, maxLength: 2 }), weight: 1 },
  );
  return fc
    .tuple(fc.tuple(...Object.entries(fields).map(field)), extra)
    .map(([parts, unknown]) => [...parts.flat(), ...unknown]);
}
