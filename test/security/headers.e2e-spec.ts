import type { OpenAPIObject, OperationObject, ParameterObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app.js';

const ALLOWED = 'https://app.example.com';

/** The header parameters of openapi.json, in lower case. */
function documentedRequestHeaders(): string[] {
  const document = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as OpenAPIObject;
  const parameters = Object.values(document.paths)
    .flatMap((item) => Object.values(item as Record<string, OperationObject>))
    .flatMap((operation) => operation.parameters ?? [])
    .map((parameter) =>
      '$ref' in parameter
        ? (document.components!.parameters![parameter.$ref.split('/').pop()!] as ParameterObject)
        : parameter,
    );
  return [...new Set(parameters.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()))];
}

describe('security headers and CORS, with CORS_ORIGINS set', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp({ env: { CORS_ORIGINS: `${ALLOWED},https://admin.example.com` } })));
  afterAll(() => app?.close());

  it('sends helmet headers and the strictest content policy with JSON', async () => {
    const response = await request(app.http).get('/health');
    expect(response.headers).toMatchObject({
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringMatching(/max-age=\d+/),
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('keeps Swagger UI working: its page and its scripts load under a policy that allows them', async () => {
    const page = await request(app.http).get('/docs').redirects(1);
    expect(page.status).toBe(200);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    // No inline script, which script-src 'self' would block: every script and style sheet comes from here.
    const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, , body] of scripts) expect(body.trim()).toBe('');
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((match) => match[1]);
    expect(assets).toEqual(expect.arrayContaining([expect.stringMatching(/swagger-ui-bundle\.js$/)]));
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const response = await request(app.http).get(new URL(asset, 'http://localhost/docs').pathname);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect(response.headers['content-type']).toMatch(/javascript|css/);
    }
  });

  it('answers an allowed origin with CORS headers that expose what a frontend reads', async () => {
    const response = await request(app.http).get('/health').set('Origin', ALLOWED);
    expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
    const exposed = (response.headers['access-control-expose-headers'] as string).split(',');
    expect(exposed).toEqual(
      expect.arrayContaining([
        'ETag',
        'Location',
        'RateLimit',
        'RateLimit-Policy',
        'Retry-After',
        'X-Correlation-Id',
        'X-Projection-Position',
      ]),
    );
  });

  it('gives a foreign origin no CORS headers', async () => {
    const response = await request(app.http).get('/health').set('Origin', 'https://evil.example.com');
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  // What a browser's fetch through the typed client may send: JSON bodies, a bearer token,
  // the command headers (a context's commands read them), and every header parameter of the
  // OpenAPI document.
  const REQUEST_HEADERS = [
    ...new Set(['authorization', 'content-type', 'if-match', 'idempotency-key', ...documentedRequestHeaders()]),
  ];

  it.each(['POST', 'DELETE', 'GET'])(
    'answers a %s preflight for an allowed origin, with every request header the API reads',
    async (method) => {
      const response = await request(app.http)
        .options('/projections/some-view/rebuild')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', method)
        .set('Access-Control-Request-Headers', REQUEST_HEADERS.join(','));
      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(response.headers['access-control-allow-methods']).toContain(method);
      const allowed = (response.headers['access-control-allow-headers'] as string).toLowerCase().split(',');
      // The document was read: the log's and every route's own headers are in it.
      expect(documentedRequestHeaders()).toEqual(expect.arrayContaining(['last-event-id', 'x-correlation-id']));
      expect(allowed).toEqual(expect.arrayContaining(REQUEST_HEADERS));
    },
  );

  it('refuses a preflight from a foreign origin', async () => {
    const response = await request(app.http)
      .options('/projections/some-view/rebuild')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS by default', () => {
  let app: TestApp;
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app?.close());

  it('is closed: no origin gets CORS headers', async () => {
    const response = await request(app.http).get('/health').set('Origin', ALLOWED);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
