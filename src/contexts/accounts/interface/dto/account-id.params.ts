import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class AccountIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}
