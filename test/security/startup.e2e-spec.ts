import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
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

/** The local addresses of the sockets listening on `port` (IPv4 and IPv6), from the kernel's own tables. */
async function listeners(port: number): Promise<string[]> {
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await readFile(table, 'utf8')).split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local || parseInt(local.split(':')[1], 16) !== port) continue;
      const hex = local.split(':')[0];
      // IPv4 in /proc/net/tcp is little-endian: 0100007F is 127.0.0.1.
      addresses.push(
        hex.length === 8
          ? [...hex.match(/../g)!]
              .reverse()
              .map((b) => parseInt(b, 16))
              .join('.')
          : hex,
      );
    }
  }
  return addresses;
}

describe('where the app listens', () => {
  it('binds 127.0.0.1 and ::1 when HOST is not set, and says so', async () => {
    const app = await startApp({ name: 'loopback', databaseUrl: database.url, env: UNSET });
    // ::1 as /proc/net/tcp6 writes it (four little-endian words).
    expect(await listeners(app.port)).toEqual(['127.0.0.1', '00000000000000000000000001000000']);
    await said(app, `listening on http://127.0.0.1:${app.port} and http://[::1]:${app.port} `);
    const overIpv6 = await fetch(`http://[::1]:${app.port}/health`);
    expect(overIpv6.status).toBe(200);
    await said(app, 'authentication is off: every route is open');
    await app.stop('SIGTERM');
  });

  it('binds what HOST names, every IPv4 interface for 0.0.0.0', async () => {
    const app = await startApp({ name: 'everywhere', databaseUrl: database.url, env: { ...UNSET, HOST: '0.0.0.0' } });
    expect(await listeners(app.port)).toEqual(['0.0.0.0']);
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
    const compose = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
    // No default: compose stops with this message when AUTH_JWT_SECRET is not set.
    expect(compose).toMatch(/^x-auth-secret: &auth-secret \$\{AUTH_JWT_SECRET:\?[^}]+\}$/m);
    const instances = compose.match(/^ {4}build: \.$/gm)!.length;
    expect(compose.match(/^ {6}AUTH_JWT_SECRET: \*auth-secret$/gm)?.length).toBe(instances);
  });
});
