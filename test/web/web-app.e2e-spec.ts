import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { AccountsApi } from '../support/accounts-api.js';
import { launchChromium, type Chromium } from '../support/chromium.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';
import { serveStaticSite, type StaticSite } from './static-site.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** How long a wait for the page lasts: long enough for a view to pass a transaction another test file holds open on the same server. */
const VIEW_WAIT_MS = 30_000;

/** web/ built as `npm run build -w chronicle-web` builds it, for an API at `apiUrl`. */
async function buildWebApp(outDir: string, apiUrl: string): Promise<void> {
  await promisify(execFile)('npm', ['run', 'build', '-w', 'chronicle-web', '--', '--outDir', outDir, '--emptyOutDir'], {
    cwd: ROOT,
    env: { ...process.env, VITE_API_URL: apiUrl },
  });
}

async function listen(app: TestApp): Promise<string> {
  await new Promise<void>((resolve) => app.http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(app.http.address() as AddressInfo).port}`;
}

let chromium: Chromium;
let site: StaticSite;
let outDir: string;
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'chronicle-web-'));
  site = await serveStaticSite(outDir);
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
  await site?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the example web app in Chromium, served from another origin than the API, with authentication on', () => {
  let app: TestApp;
  let api: AccountsApi;
  let apiUrl: string;
  let page: Page;
  /** Uncaught exceptions and console errors of the page. */
  const pageErrors: string[] = [];
  const token = signToken({ sub: 'alice' });
  let ada: string;
  let grace: string;

  beforeAll(async () => {
    app = await createTestApp({
      env: { AUTH_JWT_SECRET: TEST_JWT_SECRET, CORS_ORIGINS: site.origin, RATE_LIMIT_PER_MINUTE: '10000' },
    });
    api = new AccountsApi(app.http);
    apiUrl = await listen(app);
    await buildWebApp(outDir, apiUrl);
    page = await chromium.browser.newPage();
    page.setDefaultTimeout(VIEW_WAIT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
  }, 180_000);
  afterAll(async () => {
    await page?.close();
    await app?.close();
  });

  const alert = () => page.getByRole('alert');
  const accounts = () => page.getByRole('table', { name: 'Accounts' });
  const statement = () => page.getByRole('table', { name: 'Statement' });
  const form = (name: string) => page.getByRole('form', { name });

  it('asks for a token, and signs in with a development token', async () => {
    await page.goto(site.origin);
    await alert().filter({ hasText: 'Sign in with a token' }).waitFor();
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('status').filter({ hasText: 'Signed in as alice' }).waitFor();
    await alert().filter({ hasText: /^$/ }).waitFor({ state: 'attached' });
  });

  it('opens an account; the list shows it, and one opened by another client without a reload', async () => {
    await form('Open an account').getByLabel('Owner').fill('Ada Lovelace');
    const opened = page.waitForResponse(
      (response) => response.request().method() === 'POST' && response.url().endsWith('/accounts'),
    );
    await form('Open an account').getByRole('button', { name: 'Open' }).click();
    ada = ((await (await opened).json()) as { id: string }).id;
    await alert().filter({ hasText: 'Opened an account for Ada Lovelace.' }).waitFor();
    await page.getByRole('heading', { name: 'Ada Lovelace' }).waitFor();
    await accounts().getByRole('row', { name: 'Ada Lovelace €0.00' }).waitFor();

    grace = await api.open({ owner: 'Grace Hopper' }, bearer(token));
    await accounts().getByRole('row', { name: 'Grace Hopper €0.00' }).waitFor();
  });

  it('retries a deposit that got no answer with the same Idempotency-Key: it is made once', async () => {
    const keys: string[] = [];
    page.on(
      'request',
      (sent) =>
        sent.method() === 'POST' && /\/deposits$/.test(sent.url()) && keys.push(sent.headers()['idempotency-key']),
    );
    // The first deposit reaches the API, and its answer is lost on the way back.
    await page.route(
      '**/deposits',
      async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      },
      { times: 1 },
    );

    await form('Deposit').getByLabel('Amount').fill('125.50');
    await form('Deposit').getByRole('button', { name: 'Deposit' }).click();
    await alert().filter({ hasText: 'No answer to the deposit of €125.50' }).waitFor();
    await page.getByRole('button', { name: 'Retry the deposit' }).click();
    await alert().filter({ hasText: 'Deposited €125.50: the balance is €125.50.' }).waitFor();

    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    await statement().getByRole('row', { name: '2 deposit €125.50 €125.50' }).waitFor();
    expect(await statement().getByRole('row').count()).toBe(2); // the heading and one deposit
    const events = await request(app.http).get(`/accounts/${ada}/events`).set(bearer(token));
    expect(events.body.items.map(({ type }: { type: string }) => type)).toEqual(['AccountOpened', 'MoneyDeposited']);
  });

  it('refuses a withdrawal decided on a balance that changed meanwhile, and says so', async () => {
    // The amount is typed at version 2; another client deposits before it is sent.
    await form('Withdraw').getByLabel('Amount').fill('20');
    const deposit = await request(app.http)
      .post(`/accounts/${ada}/deposits`)
      .set({ ...bearer(token), 'Content-Type': 'application/json' })
      .send({ amount: 1000 });
    expect(deposit.status).toBe(200);
    await page.getByText('€135.50 · version 3', { exact: true }).waitFor();

    await form('Withdraw').getByRole('button', { name: 'Withdraw' }).click();
    await alert()
      .filter({
        hasText: 'Nothing was withdrawn: the account changed while you were withdrawing (version 2 then, 3 now)',
      })
      .waitFor();
    expect(await alert().innerText()).toContain('Check the balance, €135.50, and withdraw again.');

    await form('Withdraw').getByRole('button', { name: 'Withdraw' }).click();
    await alert().filter({ hasText: 'Withdrew €20.00: the balance is €115.50.' }).waitFor();
    await statement().getByRole('row', { name: '4 withdrawal -€20.00 €115.50' }).waitFor();
  });

  it('transfers to another account and shows it settle, or fail and why; the statements and the list follow', async () => {
    await form('Transfer').getByLabel('To').selectOption(grace);
    await form('Transfer').getByLabel('Amount').fill('15.50');
    await form('Transfer').getByRole('button', { name: 'Transfer' }).click();
    const transfers = page.getByRole('list', { name: 'Transfers' });
    await transfers.getByText('€15.50 to Grace Hopper: completed').waitFor();
    await statement().getByRole('row', { name: '5 transfer-out -€15.50 €100.00' }).waitFor();
    await accounts().getByRole('row', { name: 'Ada Lovelace €100.00' }).waitFor();
    await accounts().getByRole('row', { name: 'Grace Hopper €15.50' }).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-app.png'), fullPage: true });

    await accounts().getByRole('row', { name: 'Grace Hopper' }).getByRole('button', { name: 'Show' }).click();
    await page.getByRole('heading', { name: 'Grace Hopper' }).waitFor();
    await statement().getByRole('row', { name: '2 transfer-in €15.50 €15.50' }).waitFor();

    // More than Grace has: accepted, then failed, and the page says why.
    await form('Transfer').getByLabel('To').selectOption(ada);
    await form('Transfer').getByLabel('Amount').fill('1000');
    await form('Transfer').getByRole('button', { name: 'Transfer' }).click();
    await transfers.getByText('€1,000.00 to Ada Lovelace: failed (insufficient funds)').waitFor();
  }, 90_000);

  it('met no CORS refusal and no script error: only the answers the flows asked for', () => {
    const expected = [
      /status of 401/, // before signing in
      /status of 404/, // the site has no favicon
      /status of 409/, // the withdrawal's conflict
      /net::ERR_CONNECTION_RESET/, // the deposit's lost answer
    ];
    expect(pageErrors.filter((error) => !expected.some((pattern) => pattern.test(error)))).toEqual([]);
  });
});
