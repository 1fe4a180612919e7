import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

let app: TestApp;

beforeAll(async () => (app = await createTestApp()));
afterAll(() => app?.close());

describe('GET /health', () => {
  it('answers 200 with status ok, never cached', async () => {
    const response = await request(app.http).get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('GET /docs-json', () => {
  it('serves an OpenAPI document with the accounts API', async () => {
    const response = await request(app.http).get('/docs-json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\./);
    const paths = response.body.paths as Record<string, Record<string, unknown>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/accounts',
        '/accounts/{id}',
        '/accounts/{id}/deposits',
        '/accounts/{id}/withdrawals',
        '/accounts/{id}/close',
        '/accounts/{id}/events',
        '/notifications',
        '/health',
      ]),
    );
    expect(Object.keys(paths['/accounts'])).toContain('post');
    expect(Object.keys(paths['/accounts/{id}'])).toContain('get');
  });

  it('serves the Swagger UI at /docs', async () => {
    const response = await request(app.http).get('/docs').redirects(1);
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/swagger/i);
  });
});
