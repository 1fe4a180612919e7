import { ValidateBy } from 'class-validator';

// In unicode mode a surrogate pair reads as one code point, so \p{Cs} matches lone halves only.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * A string PostgreSQL can store and give back unchanged: no NUL (text and jsonb refuse it,
 * so a view projecting it would stop for good) and no lone surrogate (encoded as UTF-8 it
 * becomes U+FFFD, so it would not read back as sent).
 */
export const IsStorableText = (): PropertyDecorator =>
  ValidateBy({
    name: 'isStorableText',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !value.includes('\0') && !LONE_SURROGATE.test(value),
      defaultMessage: (args) => `${args?.property ?? 'text'} must be well-formed Unicode text without NUL characters`,
    },
  });
