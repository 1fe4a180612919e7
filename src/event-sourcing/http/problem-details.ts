import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { ValidationError } from 'class-validator';

export class FieldError {
  @ApiProperty({ example: 'amount', description: 'A path like items.0.amount, a query parameter or a header name' })
  field!: string;
  @ApiProperty({ example: 'amount must be an integer number' }) message!: string;
}

/** An RFC 9457 problem document: the body of every error response. */
export class ProblemDetails {
  @ApiProperty({
    example: 'urn:chronicle:problem:invalid-request',
    description: 'Which problem: `urn:chronicle:problem:<slug>`, or `about:blank` when the HTTP status says it all',
  })
  type!: string;
  @ApiProperty({ example: 'Invalid request' }) title!: string;
  @ApiProperty({ type: 'integer', example: 400 }) status!: number;
  @ApiProperty({ example: 'amount must be an integer number', description: 'What went wrong this time, for people' })
  detail!: string;
  @ApiPropertyOptional({ type: [FieldError], description: 'On 400 invalid-request: every field at fault' })
  errors?: FieldError[];
}

/** A request that breaks the API's rules for its fields: 400 with one entry per field. */
export class RequestValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** Flattens class-validator's tree into `field` paths such as `items.0.amount`. */
export function fieldErrorsOf(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...fieldErrorsOf(error.children ?? [], field)];
  });
}
