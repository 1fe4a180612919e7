import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE_ID } from './api-examples.js';

/**
 * The body every command answers with, as the OpenAPI document shows it: a command that
 * answers with more extends it (`class BalanceResponse extends CommandResponse`). The
 * interceptor `@ApiCommand` applies makes it from the command's outcome.
 */
export class CommandResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID }) id!: string;
  @ApiProperty({
    type: 'integer',
    example: 3,
    description: "The aggregate's version after the command (also the ETag)",
  })
  version!: number;
  @ApiProperty({
    type: 'integer',
    example: 42,
    description: 'Log position of the last event appended: pass it as minPosition to a list to see the effect',
  })
  position!: number;
}
