import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { ProjectionReadQuery, QueryInteger, IsStorableText } from '#event-sourcing/http';

export class ListAccountsQueryDto extends ProjectionReadQuery {
  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 1000 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 50;

  @ApiPropertyOptional({
    description: 'nextCursor of the previous page',
    pattern: '^[A-Za-z0-9_-]{1,64}$',
    example: 'MDFhMjFkMDktYTk2Mi03N2QwLTk1OWMtMjEyZWI4MTU0ZTMw',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor must be a nextCursor this API returned' })
  cursor?: string;

  @ApiPropertyOptional({
    description: 'Only accounts of this owner (exact match)',
    minLength: 1,
    maxLength: 200,
    example: 'Ada Lovelace',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @IsStorableText()
  owner?: string;
}
