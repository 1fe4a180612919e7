import { Controller, Get, Param, Query, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FollowersService } from '../subscriptions/followers.service.js';
import { ProblemDetailsFilter } from './problem-details.filter.js';
import type { DataSource } from 'typeorm';
import type { EventCodec } from '../serialization/event-codec.js';
import type { PayloadCodec } from '../serialization/payload-codec.js';
import type { EventStore } from '../store/event-store.js';
import { ReadReplicas } from '../store/read-replicas.js';
import { ProjectionReadQuery, ReadsLog, ReadsView } from './projection-read.js';
import { RequestValidationPipe } from './request-validation.pipe.js';
import { AnswersWithVersion } from './route-answer.js';

/** What happened, in order: the view waits and the route's reads. */
const happened: string[] = [];

/** Followers whose view stands at 40 once waited for. */
const followers = {
  async waitFor(view: string, position: number): Promise<number> {
    happened.push(`wait ${view} ${position}`);
    return 40;
  },
};

@Controller('jars')
class JarsController {
  @Get()
  @ReadsView('jar-summaries')
  async list(@Query() query: ProjectionReadQuery): Promise<{ items: string[] }> {
    happened.push(`read ${query.minPosition ?? 'latest'}`);
    return { items: ['jar-1'] };
  }

  @Get(':id')
  @AnswersWithVersion()
  async get(@Param('id') id: string): Promise<{ id: string; version: number }> {
    return { id, version: 6 };
  }

  // Two wrappers on one route: the outer takes its parameters after the inner's.
  @Get(':id/routed')
  @ReadsLog()
  @AnswersWithVersion()
  async routed(@Param('id') id: string): Promise<{ id: string; version: number }> {
    return { id, version: 7 };
  }
}

/** No replica configured: every read runs on the primary, and nothing of these is touched. */
const primaryOnly = new ReadReplicas({} as DataSource, {} as EventStore, {} as EventCodec, {} as PayloadCodec, {
  urls: [],
  maxLagBytes: 0,
  checkMs: 1_000,
  minPositionWaitMs: 0,
});

let app: INestApplication;

beforeAll(async () => {
  const module = await Test.createTestingModule({
    controllers: [JarsController],
    providers: [
      { provide: FollowersService, useValue: followers },
      { provide: ReadReplicas, useValue: primaryOnly },
    ],
  }).compile();
  app = module.createNestApplication({ logger: false });
  app.useGlobalPipes(new RequestValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  await app.init();
});
afterAll(() => app.close());
beforeEach(() => (happened.length = 0));

describe('ReadsView', () => {
  it('waits for the view to pass ?minPosition= before the route reads, then tells how far it is', async () => {
    const response = await request(app.getHttpServer()).get('/jars?minPosition=37');

    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { items: ['jar-1'] } });
    expect(response.headers['x-projection-position']).toBe('40');
    expect(response.headers['x-projection-stale']).toBeUndefined();
    expect(happened).toEqual(['wait jar-summaries 37', 'read 37']);
  });

  it('says the answer is stale when the wait ended before the view reached ?minPosition=', async () => {
    const response = await request(app.getHttpServer()).get('/jars?minPosition=41');

    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { items: ['jar-1'] } });
    expect(response.headers['x-projection-position']).toBe('40');
    expect(response.headers['x-projection-stale']).toBe('true');
  });

  it('reads at once without ?minPosition=', async () => {
    await request(app.getHttpServer()).get('/jars').expect(200);

    expect(happened).toEqual(['wait jar-summaries 0', 'read latest']);
  });

  it('neither waits nor reads for a ?minPosition= the query refuses', async () => {
    await request(app.getHttpServer()).get('/jars?minPosition=soon').expect(400);

    expect(happened).toEqual([]);
  });
});

describe('AnswersWithVersion', () => {
  it("answers with the aggregate's version as its ETag", async () => {
    const response = await request(app.getHttpServer()).get('/jars/jar-1');

    expect({ status: response.status, body: response.body }).toEqual({
      status: 200,
      body: { id: 'jar-1', version: 6 },
    });
    expect(response.headers.etag).toBe('"6"');
  });

  it('lets no cache keep the answer and never answers 304 to the version: an erasure changes what it reads as', async () => {
    const response = await request(app.getHttpServer()).get('/jars/jar-1').set('If-None-Match', '"6"');

    expect({ status: response.status, body: response.body }).toEqual({
      status: 200,
      body: { id: 'jar-1', version: 6 },
    });
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('ReadsLog', () => {
  it('runs the route on the primary without replicas and says so, beside the ETag of AnswersWithVersion under it', async () => {
    const response = await request(app.getHttpServer()).get('/jars/j-1/routed?minPosition=5');

    expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: { id: 'j-1', version: 7 } });
    expect(response.headers['x-read-source']).toBe('primary');
    expect(response.headers.etag).toBe('"7"');
  });
});
