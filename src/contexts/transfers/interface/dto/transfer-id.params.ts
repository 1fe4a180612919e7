import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';

export class TransferIdParams {
  @ApiProperty({ format: 'uuid', example: '01a21d09-f9dc-70b9-aefe-f51947c06c9c', description: 'Case-insensitive' })
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsUUID()
  id!: string;
}
