import { Controller, Param, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { CommandOutcome } from '../application/command-context.js';
import { AggregateNotFoundError } from '../domain/errors.js';
import { EXAMPLE_ID } from './api-examples.js';
import { ApiCommand } from './api-command.decorator.js';
import { problemExample } from './api-problem-responses.decorator.js';
import { CommandResponse } from './command-response.js';

const NOT_FOUND = problemExample('No lamp has this id', new AggregateNotFoundError('TestLamp', EXAMPLE_ID));

/** Routes that return a command's outcome, as `commandBus.execute` resolves it. */
@Controller('lamps')
class LampsController {
  @Post()
  @ApiCommand({ status: 201, type: CommandResponse })
  async install(): Promise<CommandOutcome> {
    return { id: 'lamp-1', version: 1, position: 7, result: {} };
  }

  @Post(':lampId/bulbs')
  @ApiCommand({ status: 202, type: CommandResponse })
  async fitBulb(@Param('lampId') lampId: string): Promise<CommandOutcome<{ lampId: string }>> {
    return { id: 'bulb-1', version: 1, position: 8, result: { lampId } };
  }

  @Post(':lampId/switch')
  @ApiCommand({ status: 200, type: CommandResponse, notFound: NOT_FOUND })
  async switch(@Param('lampId') lampId: string): Promise<CommandOutcome<{ on: boolean }>> {
    return { id: lampId, version: 4, position: 9, result: { on: true } };
  }

  @Post('broken')
  // @ts-expect-error A command route returns the command's outcome, not a body of its own.
  @ApiCommand({ status: 200, type: CommandResponse, notFound: NOT_FOUND })
  async broken(): Promise<CommandResponse> {
    return { id: 'lamp-1', version: 1, position: 1 };
  }
}

let app: INestApplication;

beforeAll(async () => {
  const module = await Test.createTestingModule({ controllers: [LampsController] }).compile();
  app = module.createNestApplication({ logger: false });
  await app.init();
});
afterAll(() => app.close());

describe('ApiCommand', () => {
  it("answers a new aggregate with its status, the outcome's body, its version as ETag and its URL as Location", async () => {
    const response = await request(app.getHttpServer()).post('/lamps/');

    expect({ status: response.status, body: response.body }).toEqual({
      status: 201,
      body: { id: 'lamp-1', version: 1, position: 7 },
    });
    expect(response.headers.etag).toBe('"1"');
    expect(response.headers.location).toBe('/lamps/lamp-1');
    // In the order they were always sent.
    expect(Object.keys(response.headers).filter((name) => ['location', 'etag'].includes(name))).toEqual([
      'location',
      'etag',
    ]);
  });

  it("places the new aggregate under the route's path, its parameters filled in", async () => {
    const response = await request(app.getHttpServer()).post('/lamps/lamp%207/bulbs');

    expect({ status: response.status, body: response.body }).toEqual({
      status: 202,
      body: { id: 'bulb-1', version: 1, position: 8, lampId: 'lamp 7' },
    });
    expect(response.headers.location).toBe('/lamps/lamp%207/bulbs/bulb-1');
  });

  it('answers a change to an aggregate with its result beside id, version and position, and no Location', async () => {
    const response = await request(app.getHttpServer()).post('/lamps/lamp-1/switch');

    expect({ status: response.status, body: response.body }).toEqual({
      status: 200,
      body: { id: 'lamp-1', version: 4, position: 9, on: true },
    });
    expect(response.headers.etag).toBe('"4"');
    expect(response.headers.location).toBeUndefined();
  });
});
