import {
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Logger,
  NotFoundException,
  Param,
  Post,
  UnprocessableEntityException,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Roles } from '../../auth/roles.decorator.js';
import { oldestTransactionSeconds } from '../observability/transaction-horizon.js';
import {
  FollowersService,
  NotRebuildableError,
  RebuildRunningError,
  UnknownFollowerError,
} from '../subscriptions/followers.service.js';
import { ProblemDetails } from './problem-details.js';

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
  @ApiProperty({
    description:
      'The next event is stored but not readable yet: an older transaction is still open (see oldestTransactionSeconds)',
  })
  heldBack!: boolean;
  @ApiProperty({ description: 'Whether this instance holds the lease and runs it' }) runningHere!: boolean;
  @ApiProperty({ description: 'Whether this instance is rebuilding its view' }) rebuildingHere!: boolean;
  @ApiPropertyOptional({ type: FollowerErrorResponse, nullable: true }) lastError!: FollowerErrorResponse | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

class RebuildStartedResponse {
  @ApiProperty({ example: 'account-summaries' }) name!: string;
  @ApiProperty({ example: 'rebuilding' }) status!: 'rebuilding';
}

class ProjectionsResponse {
  @ApiProperty({ type: [FollowerStatusResponse] }) items!: FollowerStatusResponse[];
  @ApiProperty({
    example: 0.2,
    description: 'Age in seconds of the oldest open writing transaction on the server: followers wait for it to end',
  })
  oldestTransactionSeconds!: number;
}

/** Where every follower of the log stands. */
@ApiTags('operations')
@Controller('projections')
export class ProjectionsController {
  private readonly logger = new Logger('Projections');

  constructor(
    private readonly followers: FollowersService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Get()
  @ApiOkResponse({ type: ProjectionsResponse })
  async list(): Promise<ProjectionsResponse> {
    const [items, oldest] = await Promise.all([this.followers.statuses(), oldestTransactionSeconds(this.dataSource)]);
    return { items, oldestTransactionSeconds: oldest };
  }

  /** Starts rebuilding a view from position 0 into fresh tables; the old view serves until the switch. */
  @Post(':name/rebuild')
  @Roles('admin')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RebuildStartedResponse, description: 'Watch `rebuildingHere` in GET /projections' })
  @ApiNotFoundResponse({ type: ProblemDetails })
  @ApiConflictResponse({ type: ProblemDetails, description: 'A rebuild of this view is already running' })
  @ApiUnprocessableEntityResponse({ type: ProblemDetails, description: 'The follower keeps no view to rebuild' })
  rebuild(@Param('name') name: string): RebuildStartedResponse {
    try {
      this.followers
        .rebuild(name)
        .catch((error: Error) => this.logger.error(`rebuild of ${name} failed: ${error.message}`));
    } catch (error) {
      if (error instanceof UnknownFollowerError) throw new NotFoundException(error.message);
      if (error instanceof RebuildRunningError) throw new ConflictException(error.message);
      if (error instanceof NotRebuildableError) throw new UnprocessableEntityException(error.message);
      throw error;
    }
    return { name, status: 'rebuilding' };
  }
}
