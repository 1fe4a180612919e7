import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { buildApp, freePort, killAllApps, ROOT, startApp, type AppProcess } from '../support/app-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { until } from '../support/until.js';

/** The settings of a developer's shell that would change what is tested here. */
const UNSET = { HOST: '', NODE_ENV: '', AUTH_JWT_SECRET: '', AUTH_JWT_PUBLIC_KEY: '', AUTH_DISABLED: '' };

let database: TestDatabase;
beforeAll(async () => {
  await buildApp();
  database = await createTestDatabase();
}, 120_000);
afterAll(async () => {
  await killAllApps();
  await database?.drop();
});

/** Waits until the app has written `text`: GET /health may answer before its lines reach us. */
const said = (app: AppProcess, text: string) =>
  until(
    async () => app.output(),
    (output) => output.includes(text),
    `the line "${text}"`,
  );

/**
 * Which of `hosts` accept a connection on `port`. Linux routes all of 127/8 to the loopback,
 * so 127.0.0.2 reaches only a socket bound to every IPv4 interface, not one bound to
 * 127.0.0.1. (Reading the kernel's table, /proc/net/tcp, instead missed a listener when other
 * processes opened and closed many sockets: the file is read a page at a time, and the
 * listeners before the next page moved in between.)
 */
async function accepting(port: number, hosts: string[]): Promise<Record<string, boolean>> {
  const accepts = (host: string) =>
    new Promise<boolean>((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNREFUSED' ? resolve(false) : reject(error),
      );
    });
  return Object.fromEntries(await Promise.all(hosts.map(async (host) => [host, await accepts(host)])));
}

describe('where the app listens', () => {
  it('binds 127.0.0.1 and ::1 when HOST is not set, and says so', async () => {
    const app = await startApp({ name: 'loopback', databaseUrl: database.url, env: UNSET });
    expect(await accepting(app.port, ['127.0.0.1', '::1', '127.0.0.2'])).toEqual({
      '127.0.0.1': true,
      '::1': true,
      '127.0.0.2': false,
    });
    await said(app, `listening on http://127.0.0.1:${app.port} and http://[::1]:${app.port} `);
    const overIpv6 = await fetch(`http://[::1]:${app.port}/health`);
    expect(overIpv6.status).toBe(200);
    await said(app, 'authentication is off: every route is open');
    await app.stop('SIGTERM');
  });

  it('binds what HOST names, every IPv4 interface for 0.0.0.0', async () => {
    const app = await startApp({ name: 'everywhere', databaseUrl: database.url, env: { ...UNSET, HOST: '0.0.0.0' } });
    expect(await accepting(app.port, ['127.0.0.2', '127.0.0.1', '::1'])).toEqual({
      '127.0.0.2': true,
      '127.0.0.1': true,
      '::1': false,
    });
    await said(app, `listening on http://0.0.0.0:${app.port} `);
    await app.stop('SIGTERM');
  });
});

describe('a production start', () => {
  it('refuses to run without authentication: npm run start:prod names the settings and exits 1', async () => {
    const child = spawn('npm', ['run', '-s', 'start:prod'], {
      cwd: ROOT,
      env: { ...process.env, ...UNSET, PORT: String(await freePort()), DATABASE_URL: database.url, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: npm and the node it starts are stopped together.
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // An app that started after all is stopped, so that the test fails rather than hangs.
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    expect({ code, output }).toEqual({
      code: 1,
      output: expect.stringMatching(/AUTH_JWT_SECRET .* AUTH_JWT_PUBLIC_KEY .* AUTH_DISABLED=true/),
    });
    expect(output).not.toContain('listening on');
  });

  it('runs open only when AUTH_DISABLED=true says so', async () => {
    const env = { ...UNSET, NODE_ENV: 'production', AUTH_DISABLED: 'true' };
    const app = await startApp({ name: 'open on purpose', databaseUrl: database.url, env });
    await said(app, 'authentication is off: every route is open');
    await app.stop('SIGTERM');
  });

  it('is what the Docker image runs (on every interface of its container), and compose sets AUTH_JWT_SECRET with no default', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production HOST=0\.0\.0\.0$/m);
    // The same node options as `npm run start:prod` (the heap's sizes), which the benchmark measures.
    const startProd = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
    const command = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)![1]) as string[];
    expect(`NODE_ENV=production ${command.join(' ')}`).toBe(startProd);
    const compose = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
    // No default: compose stops with this message when AUTH_JWT_SECRET is not set.
    expect(compose).toMatch(/^x-auth-secret: &auth-secret \$\{AUTH_JWT_SECRET:\?[^}]+\}$/m);
    const instances = compose.match(/^ {4}build: \.$/gm)!.length;
    expect(compose.match(/^ {6}AUTH_JWT_SECRET: \*auth-secret$/gm)?.length).toBe(instances);
  });
});
