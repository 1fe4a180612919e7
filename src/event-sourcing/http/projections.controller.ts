import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { FollowersService } from '../subscriptions/followers.service.js';

class FollowerErrorResponse {
  @ApiProperty({ example: 1234 }) position!: number;
  @ApiProperty({ example: 'MoneyDeposited' }) type!: string;
  @ApiProperty() message!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

class FollowerStatusResponse {
  @ApiProperty({ example: 'account-summaries' }) name!: string;
  @ApiProperty({ description: 'Position of the last event the follower processed' }) checkpoint!: number;
  @ApiProperty({ description: 'Events stored after the checkpoint' }) lagPositions!: number;
  @ApiProperty({ description: 'Age of the oldest event not processed yet' }) lagSeconds!: number;
  @ApiProperty({ enum: ['live', 'catching-up', 'failing'] }) status!: string;
  @ApiProperty({ description: 'Whether this instance holds the lease and runs it' }) runningHere!: boolean;
  @ApiPropertyOptional({ type: FollowerErrorResponse, nullable: true }) lastError!: FollowerErrorResponse | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

class ProjectionsResponse {
  @ApiProperty({ type: [FollowerStatusResponse] }) items!: FollowerStatusResponse[];
}

/** Where every follower of the log stands. */
@ApiTags('operations')
@Controller('projections')
export class ProjectionsController {
  constructor(private readonly followers: FollowersService) {}

  @Get()
  @ApiOkResponse({ type: ProjectionsResponse })
  async list(): Promise<ProjectionsResponse> {
    return { items: await this.followers.statuses() };
  }
}
