import { generateKeyPairSync } from 'node:crypto';
import { checkOpenOnPurpose, ConfigError, loadConfig } from './app-config.js';

const SECRET = 'a-test-secret-of-at-least-32-characters';

describe('loadConfig', () => {
  it('has defaults for a machine with nothing set', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, databaseUrl: undefined, bodyLimit: '100kb' });
  });

  it('reads PORT and DATABASE_URL', () => {
    expect(loadConfig({ PORT: '8080', DATABASE_URL: 'postgres://u@h/db' })).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://u@h/db',
    });
  });

  it('waits 4 s for the answer to a statement unless DATABASE_QUERY_TIMEOUT_MS says otherwise (0: for ever)', () => {
    expect(loadConfig({}).database.queryTimeoutMs).toBe(4_000);
    expect(loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '0' }).database.queryTimeoutMs).toBe(0);
    expect(loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '1500' }).database.queryTimeoutMs).toBe(1_500);
    expect(() => loadConfig({ DATABASE_QUERY_TIMEOUT_MS: '-1' })).toThrow(/DATABASE_QUERY_TIMEOUT_MS/);
  });

  it('takes Account snapshots every 100 events unless SNAPSHOT_EVERY_ACCOUNT says otherwise (0: off)', () => {
    expect(loadConfig({}).snapshotEvery).toEqual({ Account: 100 });
    expect(loadConfig({ SNAPSHOT_EVERY_ACCOUNT: '0' }).snapshotEvery).toEqual({ Account: 0 });
    expect(loadConfig({ SNAPSHOT_EVERY_ACCOUNT: '25' }).snapshotEvery).toEqual({ Account: 25 });
    expect(() => loadConfig({ SNAPSHOT_EVERY_ACCOUNT: '-1' })).toThrow(ConfigError);
  });

  it('reads encryption keys oldest first and refuses keys that are not 32 bytes or ids listed twice', () => {
    const k1 = Buffer.alloc(32, 1).toString('base64');
    const k2 = Buffer.alloc(32, 2).toString('base64');
    expect(loadConfig({}).payloads).toEqual({ compressAbove: 0, encryptionKeys: [] });
    const { payloads } = loadConfig({
      EVENT_ENCRYPTION_KEYS: `2026-01:${k1}, 2026-07:${k2}`,
      EVENT_COMPRESSION_MIN_BYTES: '512',
    });
    expect(payloads.compressAbove).toBe(512);
    expect(payloads.encryptionKeys.map(({ id, key }) => [id, key[0]])).toEqual([
      ['2026-01', 1],
      ['2026-07', 2],
    ]);
    expect(() => loadConfig({ EVENT_ENCRYPTION_KEYS: `k1:${Buffer.alloc(16).toString('base64')}` })).toThrow(
      /32 bytes/,
    );
    expect(() => loadConfig({ EVENT_ENCRYPTION_KEYS: k1 })).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_ENCRYPTION_KEYS: `k1:${k1},k1:${k2}` })).toThrow(/"k1" twice/);
  });

  it('keeps CORS closed unless CORS_ORIGINS lists exact origins', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each(['*', 'app.example.com', 'https://app.example.com/', 'https://app.example.com/path', 'ftp://example.com'])(
    'refuses a CORS origin that is not exact: %s',
    (origin) => {
      expect(() => loadConfig({ CORS_ORIGINS: `https://ok.example.com,${origin}` })).toThrow(/CORS_ORIGINS/);
    },
  );

  it('limits each client to 600 requests a minute unless RATE_LIMIT_PER_MINUTE says otherwise (0: off)', () => {
    expect(loadConfig({}).rateLimitPerMinute).toBe(600);
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0' }).rateLimitPerMinute).toBe(0);
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-5' })).toThrow(ConfigError);
  });

  it('lets each client address hold 10 event streams unless SSE_MAX_STREAMS_PER_CLIENT says otherwise (0: no cap)', () => {
    expect(loadConfig({}).sseMaxStreamsPerClient).toBe(10);
    expect(loadConfig({ SSE_MAX_STREAMS_PER_CLIENT: '0' }).sseMaxStreamsPerClient).toBe(0);
    expect(() => loadConfig({ SSE_MAX_STREAMS_PER_CLIENT: '-1' })).toThrow(/SSE_MAX_STREAMS_PER_CLIENT/);
  });

  it('answers every request within 10 s unless ANSWER_DEADLINE_MS says otherwise, above the longest view wait', () => {
    expect(loadConfig({}).answerDeadlineMs).toBe(10_000);
    expect(loadConfig({ ANSWER_DEADLINE_MS: '0', MIN_POSITION_WAIT_MS: '60000' }).answerDeadlineMs).toBe(0);
    expect(() => loadConfig({ ANSWER_DEADLINE_MS: '5000' })).toThrow(
      /MIN_POSITION_WAIT_MS \(5000\) must be below ANSWER_DEADLINE_MS \(5000\)/,
    );
  });

  it('wants the headers within 10 s and the whole request within 30 s unless HEADERS_TIMEOUT_MS and REQUEST_TIMEOUT_MS say otherwise', () => {
    expect(loadConfig({}).requestTimeouts).toEqual({ headersMs: 10_000, requestMs: 30_000 });
    expect(loadConfig({ HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '2000' }).requestTimeouts).toEqual({
      headersMs: 500,
      requestMs: 2_000,
    });
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' })).toThrow(/REQUEST_TIMEOUT_MS/);
    expect(() => loadConfig({ HEADERS_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '15000' })).toThrow(
      /HEADERS_TIMEOUT_MS \(20000\) must not exceed REQUEST_TIMEOUT_MS/,
    );
  });

  it('keeps idempotency keys 24 h unless IDEMPOTENCY_KEY_TTL says otherwise, in seconds or with a unit, from 1 min to 365 days', () => {
    expect(loadConfig({}).idempotencyKeyTtlMs).toBe(86_400_000);
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL: '3600' }).idempotencyKeyTtlMs).toBe(3_600_000);
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL: '90s' }).idempotencyKeyTtlMs).toBe(90_000);
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL: '30m' }).idempotencyKeyTtlMs).toBe(1_800_000);
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL: '48h' }).idempotencyKeyTtlMs).toBe(172_800_000);
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL: '7d' }).idempotencyKeyTtlMs).toBe(604_800_000);
    for (const bad of ['59', '59s', '366d', '0', '-1h', '1.5h', '24 hours', 'h', '1w']) {
      expect(() => loadConfig({ IDEMPOTENCY_KEY_TTL: bad })).toThrow(/IDEMPOTENCY_KEY_TTL must be a duration/);
    }
  });

  it('turns authentication on only with a secret or a public key', () => {
    expect(loadConfig({}).auth).toBeUndefined();
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_AUDIENCE: 'chronicle' }).auth).toEqual({
      secret: SECRET,
      publicKey: undefined,
      issuer: undefined,
      audience: 'chronicle',
      rolesClaim: 'roles',
      allowNoExp: false,
    });
  });

  it('binds loopback unless HOST says otherwise', () => {
    expect(loadConfig({}).host).toBeUndefined();
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('refuses a production start without authentication unless AUTH_DISABLED=true runs it open on purpose', () => {
    const start = (env: NodeJS.ProcessEnv) => checkOpenOnPurpose(loadConfig(env));
    expect(() => start({ NODE_ENV: 'production' })).toThrow(
      /NODE_ENV=production and no authentication configured: set AUTH_JWT_SECRET .* or AUTH_JWT_PUBLIC_KEY .* or AUTH_DISABLED=true/,
    );
    expect(() => start({ NODE_ENV: 'production', AUTH_DISABLED: 'true' })).not.toThrow();
    expect(() => start({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET })).not.toThrow();
    // Outside production, open stays the default for trying the API by hand (on loopback).
    expect(() => start({})).not.toThrow();
    expect(() => loadConfig({ AUTH_DISABLED: 'true', AUTH_JWT_SECRET: SECRET })).toThrow(/choose one/);
    expect(() => loadConfig({ NODE_ENV: 'production', AUTH_DISABLED: 'yes' })).toThrow(/AUTH_DISABLED must be one of/);
  });

  it('refuses tokens without exp unless AUTH_ALLOW_NO_EXP=true', () => {
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET }).auth?.allowNoExp).toBe(false);
    expect(loadConfig({ AUTH_JWT_SECRET: SECRET, AUTH_ALLOW_NO_EXP: 'true' }).auth?.allowNoExp).toBe(true);
  });

  it('reads a PEM public key, also with its newlines escaped on one line', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const auth = loadConfig({ AUTH_JWT_PUBLIC_KEY: pem.replaceAll('\n', '\\n'), AUTH_JWT_ROLES_CLAIM: 'groups' }).auth;
    expect(auth).toMatchObject({ publicKey: pem, rolesClaim: 'groups' });
  });

  it.each([
    [{ AUTH_JWT_SECRET: 'too-short' }, /at least 32/],
    [{ AUTH_JWT_PUBLIC_KEY: 'not a key' }, /PEM/],
    [{ AUTH_JWT_ISSUER: 'https://id.example.com' }, /need AUTH_JWT_SECRET/],
  ])('refuses an authentication setting that would not protect anything: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('logs JSON lines at info unless LOG_LEVEL and LOG_FORMAT say otherwise', () => {
    expect(loadConfig({}).logs).toEqual({ level: 'info', format: 'json' });
    expect(loadConfig({ LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty' }).logs).toEqual({ level: 'debug', format: 'pretty' });
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL must be one of fatal, error/);
    expect(() => loadConfig({ LOG_FORMAT: 'text' })).toThrow(/LOG_FORMAT/);
  });

  it('leaves /metrics open unless METRICS_TOKEN is set, and refuses a short or unprintable token', () => {
    expect(loadConfig({}).observability.metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'scrape-token-0123456789' }).observability.metricsToken).toBe(
      'scrape-token-0123456789',
    );
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/at least 16/);
    expect(() => loadConfig({ METRICS_TOKEN: 'with a space in the token' })).toThrow(/visible ASCII/);
  });

  it('wants followers within 60 s of the log for readiness unless READY_MAX_FOLLOWER_LAG_SECONDS says otherwise (0: not checked)', () => {
    expect(loadConfig({}).observability.readyMaxFollowerLagSeconds).toBe(60);
    expect(loadConfig({ READY_MAX_FOLLOWER_LAG_SECONDS: '0' }).observability.readyMaxFollowerLagSeconds).toBe(0);
    expect(() => loadConfig({ READY_MAX_FOLLOWER_LAG_SECONDS: '-5' })).toThrow(ConfigError);
  });

  it('takes the leases of an instance that renews nothing for 10 s unless FOLLOWER_LEASE_TIMEOUT_SECONDS says otherwise (0: never while its session lives)', () => {
    expect(loadConfig({}).followers.leaseTimeoutSeconds).toBe(10);
    expect(loadConfig({ FOLLOWER_LEASE_TIMEOUT_SECONDS: '0' }).followers.leaseTimeoutSeconds).toBe(0);
    expect(loadConfig({ FOLLOWER_LEASE_TIMEOUT_SECONDS: '30' }).followers.leaseTimeoutSeconds).toBe(30);
    expect(() => loadConfig({ FOLLOWER_LEASE_TIMEOUT_SECONDS: '2.5' })).toThrow(ConfigError);
  });

  it('lets a ?minPosition= read wait 5 s for its view unless MIN_POSITION_WAIT_MS says otherwise (at most a minute)', () => {
    expect(loadConfig({}).followers.minPositionWaitMs).toBe(5_000);
    expect(loadConfig({ MIN_POSITION_WAIT_MS: '0' }).followers.minPositionWaitMs).toBe(0);
    expect(loadConfig({ MIN_POSITION_WAIT_MS: '200' }).followers.minPositionWaitMs).toBe(200);
    expect(() => loadConfig({ MIN_POSITION_WAIT_MS: '60001' })).toThrow(ConfigError);
  });

  it('serves the explorer unless NODE_ENV is production, where EXPLORER=on turns it on', () => {
    expect(loadConfig({}).explorer).toBe(true);
    expect(loadConfig({ EXPLORER: 'off' }).explorer).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production' }).explorer).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', EXPLORER: 'on' }).explorer).toBe(true);
    expect(() => loadConfig({ EXPLORER: 'yes' })).toThrow('EXPLORER must be one of on, off, got "yes"');
  });

  it('turns the broker on only with NATS_URL, with the stream chronicle and every type unless told otherwise', () => {
    expect(loadConfig({}).broker).toBeUndefined();
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222' }).broker).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      stream: 'chronicle',
      relayTypes: [],
      duplicateWindowSeconds: 600,
      consumerConcurrency: 8,
    });
    expect(
      loadConfig({
        NATS_URL: 'nats://a:4222, tls://b:4222',
        NATS_STREAM: 'ledger-events',
        NATS_RELAY_TYPES: 'AccountOpened, MoneyDeposited',
        NATS_DUPLICATE_WINDOW_SECONDS: '3600',
        NATS_CONSUMER_CONCURRENCY: '2',
      }).broker,
    ).toEqual({
      servers: ['nats://a:4222', 'tls://b:4222'],
      stream: 'ledger-events',
      relayTypes: ['AccountOpened', 'MoneyDeposited'],
      duplicateWindowSeconds: 3600,
      consumerConcurrency: 2,
    });
  });

  it('sends reads to replicas only with DATABASE_REPLICA_URLS', () => {
    expect(loadConfig({}).replicas).toEqual({
      urls: [],
      maxLagBytes: 16 * 1024 * 1024,
      checkMs: 1_000,
      minPositionWaitMs: 1_000,
    });
    expect(
      loadConfig({
        DATABASE_REPLICA_URLS: 'postgres://r1:5432/app, postgresql://r2/app',
        REPLICA_MAX_LAG_BYTES: '0',
        REPLICA_CHECK_MS: '250',
        REPLICA_MIN_POSITION_WAIT_MS: '0',
      }).replicas,
    ).toEqual({
      urls: ['postgres://r1:5432/app', 'postgresql://r2/app'],
      maxLagBytes: 0,
      checkMs: 250,
      minPositionWaitMs: 0,
    });
    expect(() => loadConfig({ DATABASE_REPLICA_URLS: 'r1:5432' })).toThrow(/DATABASE_REPLICA_URLS must list URLs/);
    // A view read may wait for a replica, then for the primary's view: both within the deadline.
    expect(() =>
      loadConfig({
        DATABASE_REPLICA_URLS: 'postgres://r1/app',
        MIN_POSITION_WAIT_MS: '9500',
        ANSWER_DEADLINE_MS: '10000',
      }),
    ).toThrow('plus REPLICA_MIN_POSITION_WAIT_MS (1000) must be below ANSWER_DEADLINE_MS (10000)');
    expect(loadConfig({ MIN_POSITION_WAIT_MS: '9500', ANSWER_DEADLINE_MS: '10000' }).replicas.urls).toEqual([]);
  });

  it.each([
    [{ NATS_STREAM: 'chronicle' }, /NATS_STREAM needs NATS_URL/],
    [{ NATS_URL: 'http://127.0.0.1:4222' }, /nats:\/\/ or tls:\/\//],
    [{ NATS_URL: 'nats://h:4222', NATS_STREAM: 'chronicle.events' }, /NATS_STREAM must be/],
    [{ NATS_URL: 'nats://h:4222', NATS_RELAY_TYPES: 'Money*' }, /NATS_RELAY_TYPES/],
    [{ NATS_URL: 'nats://h:4222', NATS_DUPLICATE_WINDOW_SECONDS: '0' }, /NATS_DUPLICATE_WINDOW_SECONDS/],
  ])('refuses a broker setting it could not use: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([{ PORT: 'abc' }, { PORT: '70000' }, { DATABASE_URL: 'mysql://x' }, { DATABASE_POOL_SIZE: '0' }])(
    'explains a bad value: %j',
    (env) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
    },
  );
});
