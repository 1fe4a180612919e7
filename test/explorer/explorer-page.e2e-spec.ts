import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { AccountsApi } from '../support/accounts-api.js';
import { launchChromium, type Chromium } from '../support/chromium.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signToken, TEST_JWT_SECRET } from '../support/tokens.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
/** Long enough for the log to pass a transaction another test file holds open on the same server. */
const LOG_WAIT_MS = 30_000;

let chromium: Chromium;
beforeAll(async () => (chromium = await launchChromium()));
afterAll(() => chromium?.close());

/**
 * A new tab on the explorer of an app that listens on a port, and the tab's script errors and
 * refusals by the Content-Security-Policy (both end up there).
 */
async function openExplorer(app: TestApp): Promise<{ page: Page; pageErrors: string[] }> {
  await new Promise<void>((resolve) => app.http.listen(0, '127.0.0.1', resolve));
  const page = await chromium.browser.newPage();
  const pageErrors: string[] = [];
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
  await page.goto(`http://127.0.0.1:${(app.http.address() as AddressInfo).port}/explorer`);
  return { page, pageErrors };
}

describe('the explorer page in Chromium', () => {
  let app: TestApp;
  let api: AccountsApi;
  let page: Page;
  let pageErrors: string[];
  /** The accounts the tests look at. */
  let ada: string;
  let grace: string;

  beforeAll(async () => {
    app = await createTestApp();
    api = new AccountsApi(app.http);
  });
  afterAll(async () => {
    await page?.close();
    await app?.close();
  });

  it('finds an account’s stream, and stepping back in time shows the earlier balances', async () => {
    ada = await api.open({ owner: 'Ada Lovelace' });
    grace = await api.open({ owner: 'Grace Hopper' });
    for (const amount of [10_000, 2_500, 400]) await api.deposited(ada, amount);

    ({ page, pageErrors } = await openExplorer(app));
    await page.locator('option[value="Account"]').waitFor({ state: 'attached' });
    await page.getByLabel('Stream type').selectOption('Account');
    await page.getByLabel('Stream id').fill(ada.slice(0, 8));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('list', { name: 'Streams found' }).getByRole('button', { name: ada }).click();
    await page.getByRole('heading', { name: `Ada Lovelace ${ada}` }).waitFor();

    const state = (version: number) => page.getByRole('table', { name: `State after version ${version}` });
    await state(4).getByRole('row', { name: 'balance 12900', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Earlier version' }).click();
    await state(3).getByRole('row', { name: 'balance 12500', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Earlier version' }).click();
    await state(2).getByRole('row', { name: 'balance 10000', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Later version' }).click();
    await state(3).getByRole('row', { name: 'balance 12500', exact: true }).waitFor();
    await page.getByText('version 3 of 4', { exact: true }).waitFor();
  });

  it('shows a new event in the live log and in the stream open, and the followers; then takes a screenshot', async () => {
    const deposit = await api.deposited(ada, 700);

    const entry = page
      .getByRole('list', { name: 'Live log' })
      .getByRole('listitem')
      .filter({ has: page.getByText(`#${deposit.body.position}`, { exact: true }) });
    await entry.waitFor({ timeout: LOG_WAIT_MS });
    expect(await entry.innerText()).toContain('MoneyDeposited');
    // The open stream catches up, and the look back in time stays where it was.
    await page.getByRole('table', { name: 'Events' }).getByRole('button', { name: '5', exact: true }).waitFor();
    await page.getByText('version 3 of 5', { exact: true }).waitFor();
    // So does the stream's entry in the list.
    await page
      .getByRole('list', { name: 'Streams found' })
      .getByRole('button', { name: ada })
      .filter({ hasText: 'version 5' })
      .waitFor();
    await page.getByRole('cell', { name: 'account-summaries', exact: true }).waitFor();

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'explorer.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('lists the accounts by their owners’ names, and keeps the list up to date with the log', async () => {
    const found = page.getByRole('list', { name: 'Streams found' });
    const entry = (id: string) => found.getByRole('button', { name: id });
    await page.getByLabel('Stream id').fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await entry(grace).waitFor();
    expect(await entry(ada).innerText()).toContain('Ada Lovelace');
    expect(await entry(grace).innerText()).toContain('Grace Hopper');

    const katherine = await api.open({ owner: 'Katherine Johnson' });
    await entry(katherine).filter({ hasText: 'Katherine Johnson' }).waitFor({ timeout: LOG_WAIT_MS });

    const erased = await request(app.http)
      .delete(`/accounts/${grace}/personal-data`)
      .set('Content-Type', 'application/json');
    expect(erased.status).toBe(200);
    await entry(grace).filter({ hasText: '[erased]' }).waitFor({ timeout: LOG_WAIT_MS });
    expect(await found.innerText()).not.toContain('Grace Hopper');
    expect(pageErrors).toEqual([]);
  }, 90_000);
});

describe('the explorer page in Chromium with authentication on', () => {
  let app: TestApp;
  let api: AccountsApi;
  const alice = bearer(signToken({ sub: 'alice' }));

  beforeAll(async () => {
    app = await createTestApp({ env: { AUTH_JWT_SECRET: TEST_JWT_SECRET } });
    api = new AccountsApi(app.http);
  });
  afterAll(() => app?.close());

  it('lists the streams by name and keeps the list up to date with an admin token pasted in', async () => {
    const ada = await api.open({ owner: 'Ada Lovelace' }, alice);
    const { page, pageErrors } = await openExplorer(app);
    await page.getByRole('alert').filter({ hasText: 'admin role' }).waitFor();

    await page.getByLabel('Bearer token').fill(signToken({ sub: 'root', roles: ['admin'] }));
    await page.getByRole('button', { name: 'Use', exact: true }).click();
    const found = page.getByRole('list', { name: 'Streams found' });
    await found.getByRole('button', { name: ada }).filter({ hasText: 'Ada Lovelace' }).waitFor();

    const grace = await api.open({ owner: 'Grace Hopper' }, alice);
    await found
      .getByRole('button', { name: grace })
      .filter({ hasText: 'Grace Hopper' })
      .waitFor({ timeout: LOG_WAIT_MS });
    // Before the token, the page's requests were refused: the browser reports each 401.
    expect(pageErrors.filter((error) => !/status of 401/.test(error))).toEqual([]);
    await page.close();
  }, 90_000);
});
