import { Controller, Get, Param, Query, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FollowersService } from '../subscriptions/followers.service.js';
import { ProblemDetailsFilter } from './problem-details.filter.js';
import { ProjectionReadQuery, ReadsView } from './projection-read.js';
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
}

let app: INestApplication;

beforeAll(async () => {
  const module = await Test.createTestingModule({
    controllers: [JarsController],
    providers: [{ provide: FollowersService, useValue: followers }],
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
