import {
  Body,
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
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { oldestAppendSeconds } from '../observability/appends-in-flight.js';
import { oldestTransactionSeconds } from '../observability/transaction-horizon.js';
import {
  FollowersService,
  NotRebuildableError,
  RebuildRunningError,
  UnknownFollowerError,
} from '../subscriptions/followers.service.js';
import { ApiProblemResponses, problemExample } from './api-problem-responses.decorator.js';
import { ApiNoBody, NoBody } from './no-body.dto.js';
import { OperatorsOnly } from './operators-only.decorator.js';
import { PROBLEMS } from './problem-examples.js';

interface FollowerErrorResponse {
  position: number;
  type: string;
  message: string;
  at: string;
}

class FollowerStatusResponse {
  @ApiProperty({ example: 'account-summaries' }) name!: string;
  @ApiProperty({ type: 'integer', example: 10, description: 'Position of the last event the follower processed' })
  checkpoint!: number;
  @ApiProperty({ type: 'integer', example: 0, description: 'Events stored after the checkpoint' })
  lagPositions!: number;
  @ApiProperty({ example: 0, description: 'Age in seconds of the oldest event not processed yet' })
  lagSeconds!: number;
  @ApiProperty({ enum: ['live', 'catching-up', 'failing'], example: 'live' }) status!: string;
  @ApiProperty({
    example: false,
    description:
      'The next event is committed but not readable yet: an append that took a position before it is still in flight (see oldestAppendSeconds)',
  })
  heldBack!: boolean;
  @ApiProperty({ example: true, description: 'Whether this instance holds the lease and runs it' })
  runningHere!: boolean;
  @ApiProperty({ example: false, description: 'Whether this instance is rebuilding its view' })
  rebuildingHere!: boolean;
  // Inline, not a $ref: OpenAPI 3.0 honours `nullable` only beside the schema's own `type`.
  @ApiProperty({
    type: 'object',
    nullable: true,
    description: 'The event it is stuck on while failing; null otherwise',
    required: ['position', 'type', 'message', 'at'],
    properties: {
      position: { type: 'integer', example: 1234 },
      type: { type: 'string', example: 'MoneyDeposited' },
      message: { type: 'string', example: 'duplicate key value violates unique constraint "account_summaries_pkey"' },
      at: { type: 'string', format: 'date-time', example: '2026-11-27T12:45:24.866Z' },
    },
  })
  lastError!: FollowerErrorResponse | null;
  @ApiProperty({ format: 'date-time', example: '2026-11-27T12:45:24.866Z' }) updatedAt!: string;
}

class RebuildStartedResponse {
  @ApiProperty({ example: 'account-summaries' }) name!: string;
  @ApiProperty({ enum: ['rebuilding'], example: 'rebuilding' }) status!: 'rebuilding';
}

class ProjectionsResponse {
  @ApiProperty({ type: [FollowerStatusResponse] }) items!: FollowerStatusResponse[];
  @ApiProperty({
    example: 0,
    description:
      'Age in seconds of the oldest append still in flight in this database (0: none): followers wait for it to end before they read past its positions',
  })
  oldestAppendSeconds!: number;
  @ApiProperty({
    example: 0.2,
    deprecated: true,
    description:
      'Age in seconds of the oldest open writing transaction on the server (only those of roles this one may see). Followers no longer wait for it: see oldestAppendSeconds',
  })
  oldestTransactionSeconds!: number;
}

/** A refusal of the followers to rebuild, as the HTTP error it is answered with. */
function rebuildRefusal(error: unknown): unknown {
  if (error instanceof UnknownFollowerError) return new NotFoundException(error.message);
  if (error instanceof RebuildRunningError) return new ConflictException(error.message);
  if (error instanceof NotRebuildableError) return new UnprocessableEntityException(error.message);
  return error;
}

const REBUILD_PROBLEMS = [
  problemExample('No follower has this name', rebuildRefusal(new UnknownFollowerError('account-sumaries'))),
  problemExample(
    'A rebuild of this view is already running',
    rebuildRefusal(new RebuildRunningError('account-summaries')),
  ),
  problemExample('The follower keeps no view to rebuild', rebuildRefusal(new NotRebuildableError('transfer-process'))),
  PROBLEMS.invalidRequest,
  PROBLEMS.unsupportedMediaType,
];

/** Where every follower of the log stands. */
@ApiTags('operations')
@ApiProblemResponses(PROBLEMS.databaseUnavailable, PROBLEMS.databaseBusy)
@Controller('projections')
export class ProjectionsController {
  private readonly logger = new Logger('Projections');

  constructor(
    private readonly followers: FollowersService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  // Operators only: a failure's message may quote the event it failed on.
  @Get()
  @OperatorsOnly()
  @ApiOperation({
    operationId: 'listProjections',
    summary: 'Where every follower of the log stands: checkpoint, lag, failures',
  })
  @ApiOkResponse({ type: ProjectionsResponse })
  async list(): Promise<ProjectionsResponse> {
    const [items, oldestAppend, oldestTransaction] = await Promise.all([
      this.followers.statuses(),
      oldestAppendSeconds(this.dataSource),
      oldestTransactionSeconds(this.dataSource),
    ]);
    return { items, oldestAppendSeconds: oldestAppend, oldestTransactionSeconds: oldestTransaction };
  }

  /** Starts rebuilding a view from position 0 into fresh tables; the old view serves until the switch. */
  @Post(':name/rebuild')
  @OperatorsOnly()
  @HttpCode(202)
  @ApiOperation({
    operationId: 'rebuildProjection',
    summary: 'Rebuild a view from position 0',
    description: 'Into fresh tables, while the old ones keep serving; then it switches over.',
  })
  @ApiParam({
    name: 'name',
    description: 'A follower that keeps a view, as GET /projections names it',
    example: 'account-summaries',
  })
  @ApiAcceptedResponse({ type: RebuildStartedResponse, description: 'Watch `rebuildingHere` in GET /projections' })
  @ApiProblemResponses(...REBUILD_PROBLEMS)
  @ApiNoBody()
  // A body is refused, not ignored: a client that sends options expects them to count.
  rebuild(@Param('name') name: string, @Body() _body: NoBody): RebuildStartedResponse {
    try {
      this.followers
        .rebuild(name)
        .catch((error: Error) => this.logger.error(`rebuild of ${name} failed: ${error.message}`));
    } catch (error) {
      throw rebuildRefusal(error);
    }
    return { name, status: 'rebuilding' };
  }
}
