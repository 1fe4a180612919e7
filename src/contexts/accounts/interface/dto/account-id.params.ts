import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE_ID } from '#event-sourcing/http';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';

export class AccountIdParams {
  @ApiProperty({ format: 'uuid', example: EXAMPLE_ID, description: 'Case-insensitive' })
  // UUIDs are case-insensitive on input (RFC 9562); ids are stored in lower case.
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsUUID()
  id!: string;
}
