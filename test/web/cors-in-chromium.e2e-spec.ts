import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type Chromium } from '../support/chromium.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { signToken, TEST_JWT_SECRET } from '../support/tokens.js';
import { serveStaticSite, type StaticSite } from './static-site.js';

/**
 * What a browser lets a page on another origin do with the API: Chromium enforces CORS
 * (preflights, which answer headers a script may read); supertest does not.
 */
let chromium: Chromium;
let root: string;
/** A page on an origin in CORS_ORIGINS, and one on an origin that is not. */
let allowed: StaticSite;
let foreign: StaticSite;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'chronicle-cors-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Another origin</title>');
  allowed = await serveStaticSite(root);
  foreign = await serveStaticSite(root);
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  await allowed?.close();
  await foreign?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function start(env: NodeJS.ProcessEnv): Promise<{ app: TestApp; url: string }> {
  const app = await createTestApp({ env: { CORS_ORIGINS: allowed.origin, ...env } });
  await new Promise<void>((resolve) => app.http.listen(0, '127.0.0.1', resolve));
  return { app, url: `http://127.0.0.1:${(app.http.address() as AddressInfo).port}` };
}

async function open(site: StaticSite): Promise<Page> {
  const page = await chromium.browser.newPage();
  await page.goto(site.origin);
  return page;
}

describe('CORS in Chromium, with authentication and the rate limit on', () => {
  let app: TestApp;
  let url: string;
  const token = signToken({ sub: 'alice' });
  beforeAll(
    async () => ({ app, url } = await start({ AUTH_JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT_PER_MINUTE: '1000' })),
  );
  afterAll(() => app?.close());

  it('lets an allowed origin send Authorization, If-Match and Idempotency-Key, and read every exposed header', async () => {
    const page = await open(allowed);
    const seen = await page.evaluate(
      async ({ url, token }) => {
        const json = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
        const headers = (response: Response, ...names: string[]) =>
          Object.fromEntries([['status', response.status], ...names.map((name) => [name, response.headers.get(name)])]);
        const opened = await fetch(`${url}/accounts`, {
          method: 'POST',
          headers: { ...json, 'Idempotency-Key': 'open-ada' },
          body: JSON.stringify({ owner: 'Ada Lovelace' }),
        });
        const { id, position } = (await opened.clone().json()) as { id: string; position: number };
        // Both at version 1: the second comes after the first made it 2.
        const deposit = (key: string) =>
          fetch(`${url}/accounts/${id}/deposits`, {
            method: 'POST',
            headers: { ...json, 'If-Match': '"1"', 'Idempotency-Key': key },
            body: JSON.stringify({ amount: 100 }),
          });
        const deposited = await deposit('first');
        const stale = await deposit('second');
        const listed = await fetch(`${url}/accounts?minPosition=${position}`, { headers: json });
        return {
          opened: headers(opened, 'Location', 'ETag', 'X-Correlation-Id', 'RateLimit', 'RateLimit-Policy'),
          deposited: headers(deposited, 'ETag'),
          stale: { ...headers(stale, 'X-Correlation-Id'), body: await stale.json() },
          listed: headers(listed, 'X-Projection-Position'),
        };
      },
      { url, token },
    );
    expect(seen).toEqual({
      opened: {
        status: 201,
        Location: expect.stringMatching(/^\/accounts\/[0-9a-f-]{36}$/),
        ETag: '"1"',
        'X-Correlation-Id': expect.any(String),
        RateLimit: expect.stringMatching(/limit=1000, remaining=\d+, reset=\d+/),
        'RateLimit-Policy': expect.stringMatching(/^1000;w=60/),
      },
      deposited: { status: 200, ETag: '"2"' },
      stale: {
        status: 409,
        'X-Correlation-Id': expect.any(String),
        body: expect.objectContaining({ type: 'urn:chronicle:problem:concurrency-conflict' }),
      },
      listed: { status: 200, 'X-Projection-Position': expect.stringMatching(/^\d+$/) },
    });
    await page.close();
  });

  it('refuses an origin that CORS_ORIGINS does not list: its script gets no answer', async () => {
    const page = await open(foreign);
    const failure = await page.evaluate(async (url) => {
      try {
        await fetch(`${url}/health`);
        return 'answered';
      } catch (error) {
        return (error as Error).name;
      }
    }, url);
    expect(failure).toBe('TypeError');
    await page.close();
  });
});

describe('CORS in Chromium, past the rate limit', () => {
  let app: TestApp;
  let url: string;
  beforeAll(async () => ({ app, url } = await start({ RATE_LIMIT_PER_MINUTE: '2' })));
  afterAll(() => app?.close());

  it('lets the page read Retry-After on the 429', async () => {
    const page = await open(allowed);
    const refused = await page.evaluate(async (url) => {
      for (let sent = 1; sent <= 10; sent++) {
        // The browser revalidates repeats with If-None-Match: a 304 (declared in openapi.json) counts as well.
        const response = await fetch(`${url}/accounts`);
        if (response.status === 429) return { sent, retryAfter: response.headers.get('Retry-After') };
      }
      return undefined;
    }, url);
    expect(refused).toEqual({ sent: 3, retryAfter: expect.stringMatching(/^\d+$/) });
    await page.close();
  });
});
