/**
 * The check every e2e answer goes through (test/support/contract-check.ts): it must see a
 * drift, or a green suite would prove nothing about openapi.json.
 */
import express from 'express';
import request from 'supertest';
import { ContractCheck } from '../support/contract-check.js';

const problem = { 'application/problem+json': { schema: { type: 'object', required: ['status'] } } };
const document = {
  openapi: '3.0.0',
  paths: {
    '/things/{id}': {
      get: {
        responses: {
          200: {
            content: {
              'application/json': {
                schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
              },
            },
            headers: { 'X-Version': { required: true, schema: { type: 'string' } } },
          },
          404: { content: problem },
        },
      },
    },
  },
  components: {},
};

/** An app answering `answer` at every route, behind the check. */
function appAnswering(answer: (response: express.Response) => void): { http: express.Express; check: ContractCheck } {
  const check = new ContractCheck(document);
  const http = express();
  check.install(http);
  http.use((_request, response) => answer(response));
  return { http, check };
}

describe('the contract check of e2e answers', () => {
  it('passes an answer as declared', async () => {
    const { http, check } = appAnswering((response) => response.set('X-Version', '1').json({ id: 'a' }));
    await request(http).get('/things/a');
    expect(check.violations).toEqual([]);
  });

  it.each([
    [
      'a body that breaks the schema',
      (response: express.Response) => response.set('X-Version', '1').json({ id: 1 }),
      'breaks the schema',
    ],
    ['a missing required header', (response: express.Response) => response.json({ id: 'a' }), 'no X-Version header'],
    [
      'an undeclared status',
      (response: express.Response) => response.status(409).json({ status: 409 }),
      'declares no 409',
    ],
    [
      'an undeclared content type',
      (response: express.Response) => response.set('X-Version', '1').type('text/html').send('<p>'),
      'text/html is not declared',
    ],
  ])('reports %s', async (_, answer, expected) => {
    const { http, check } = appAnswering(answer);
    await request(http).get('/things/a');
    expect(check.violations).toEqual([expect.stringContaining(expected)]);
  });

  it('reports a route outside the document that answers other than a 4xx problem', async () => {
    const { http, check } = appAnswering((response) => response.json({}));
    await request(http).get('/elsewhere');
    expect(check.violations).toEqual([expect.stringContaining('not in openapi.json')]);
  });
});
