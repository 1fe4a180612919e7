import { Transform } from 'class-transformer';

/**
 * Reads a query parameter written in decimal digits as a number. Anything else ("1e3",
 * "0x10", " 5", "") stays a string, for @IsInt() to refuse, where Number() would accept it.
 */
export const QueryInteger = (): PropertyDecorator =>
  Transform(({ value }) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value));
