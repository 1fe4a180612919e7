import type { ValueTransformer } from 'typeorm';

/** PostgreSQL bigint arrives as a string; amounts stay below 2^53, so a number is exact. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
