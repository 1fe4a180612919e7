/**
 * The embedded PostgreSQL killed under the app (docs/OPERATIONS.md, "Faults we test"): the
 * app runs without DATABASE_URL, on a server of its own, whose postmaster the test
 * SIGKILLs. The app starts it again and serves again; one that cannot be started again
 * ends the app with code 1, for a supervisor to see, instead of leaving it up and useless.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp, killAllApps, startApp, withAppOutput, type AppProcess } from '../support/app-process.js';
import { call, expectStatus, type AccountBody } from '../support/app-client.js';
import { ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { until } from '../support/until.js';

/** Generous: an app still running this long after its server was lost for good is stuck. */
const EXIT_BOUND_MS = 30_000;

const servers: ThrowawayPostgres[] = [];

beforeAll(async () => {
  await buildApp();
}, 120_000);

afterAll(async () => {
  await killAllApps();
  await Promise.all(servers.map((server) => server.remove()));
});

/** The app on an embedded server of its own, with an account holding 100. */
async function appWithEmbeddedServer(): Promise<{ app: AppProcess; server: ThrowawayPostgres; id: string }> {
  const server = await ThrowawayPostgres.reserve();
  servers.push(server);
  const app = await startApp({
    name: 'app',
    env: { EMBEDDED_POSTGRES_DIR: server.dataDir, EMBEDDED_POSTGRES_PORT: String(server.port) },
  });
  const { body } = await expectStatus<{ id: string }>(app, 'POST', '/accounts', 201, { owner: 'Crash' });
  await expectStatus(app, 'POST', `/accounts/${body.id}/deposits`, 200, { amount: 100 });
  return { app, server, id: body.id };
}

function postmaster(server: ThrowawayPostgres): number {
  const pid = server.postmasterPid();
  if (!pid) throw new Error(`no PostgreSQL runs on ${server.dataDir}`);
  return pid;
}

describe('the embedded PostgreSQL is killed', () => {
  it('is started again by the app, which then serves with its data', async () => {
    const { app, server, id } = await appWithEmbeddedServer();
    await withAppOutput(
      () => [app],
      async () => {
        const killed = postmaster(server);
        process.kill(killed, 'SIGKILL');
        const killedAt = Date.now();
        // Until the app has started a new server: a backend of the killed one may still
        // answer on a pooled connection for a moment, until it sees its postmaster gone.
        await until(
          async () => server.postmasterPid(),
          (pid) => pid !== undefined && pid !== killed,
          'the app to start the embedded PostgreSQL again',
        );

        const deposit = await until(
          () =>
            call(app, 'POST', `/accounts/${id}/deposits`, { amount: 10 }, { headers: { 'Idempotency-Key': 'after' } }),
          (reply) => reply.status === 200,
          'a deposit to go through after the kill',
        );
        console.info(`embedded PostgreSQL killed: served again after ${Date.now() - killedAt} ms`);
        expect(deposit.body).toMatchObject({ balance: 110 });
        expect(app.alive).toBe(true);
        const account = await expectStatus<AccountBody>(app, 'GET', `/accounts/${id}`, 200);
        expect(account.body).toMatchObject({ balance: 110, version: 3 });
        expect(app.output()).toMatch(/the embedded PostgreSQL exited unexpectedly \(signal SIGKILL\)/);
      },
    );
  }, 120_000);

  it('ends the app with code 1 when it cannot be started again', async () => {
    const { app, server } = await appWithEmbeddedServer();
    await withAppOutput(
      () => [app],
      async () => {
        // A data directory of a PostgreSQL version that does not exist: the server refuses it.
        writeFileSync(join(server.dataDir, 'PG_VERSION'), '1\n');
        process.kill(postmaster(server), 'SIGKILL');

        const exit = await Promise.race([app.exited, sleep(EXIT_BOUND_MS, 'still running', { ref: false })]);
        expect(exit).toEqual({ code: 1, signal: null });
        expect(app.output()).toMatch(/the embedded PostgreSQL stays down .*exiting with code 1/);
        expect(server.postmasterPid()).toBeUndefined();
      },
    );
  }, 120_000);
});
