import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsUUID, Max, Min } from 'class-validator';

export const MAX_TRANSFER_AMOUNT = 1_000_000_000_000;

// UUIDs are case-insensitive on input (RFC 9562); account ids are stored in lower case.
const LowerCase = () => Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value));

export class RequestTransferDto {
  @ApiProperty({
    format: 'uuid',
    example: '01a21d09-f92f-759d-8485-28dcaacf71ba',
    description: 'The account the money leaves',
  })
  @LowerCase()
  @IsUUID()
  fromAccountId!: string;

  @ApiProperty({
    format: 'uuid',
    example: '01a21d09-f969-7162-ab9d-dc34025745b6',
    description: 'The account the money goes to; not the source account',
  })
  @LowerCase()
  @IsUUID()
  toAccountId!: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: MAX_TRANSFER_AMOUNT,
    example: 2500,
    description: 'Minor units (cents)',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_TRANSFER_AMOUNT)
  amount!: number;
}
