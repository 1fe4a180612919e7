import { createPublicKey } from 'node:crypto';
import { resolve } from 'node:path';

/** Typed configuration read once from the environment. */
export interface AppConfig {
  port: number;
  /** The address the HTTP server binds (HOST); unset, the loopback: 127.0.0.1, and ::1 where the machine has it. */
  host?: string;
  /** A PostgreSQL server of your own; when absent an embedded one is started. */
  databaseUrl?: string;
  embeddedPostgres: { dataDir: string; port: number };
  /** Streaming replicas of that server that answer reads (DATABASE_REPLICA_URLS); empty: every read goes to it. */
  replicas: ReplicaConfig;
  database: {
    poolSize: number;
    /** How long a request waits for a free pooled connection before it fails (503). */
    poolWaitMs: number;
    statementTimeoutMs: number;
    idleInTransactionTimeoutMs: number;
    /**
     * How long the app waits for the server's answer to one statement before it closes the
     * connection (503); 0: for ever. A stopped server never cancels a statement itself.
     */
    queryTimeoutMs: number;
  };
  bodyLimit: string;
  /** How long requests in flight get to finish on SIGTERM before their connections are cut. */
  shutdownTimeoutMs: number;
  /** How often a command is tried again on fresh state after a concurrency conflict. */
  commandRetries: number;
  /** How long an idempotency key answers repeats before it expires and is deleted. */
  idempotencyKeyTtlMs: number;
  partitionsAhead: number;
  followers: {
    enabled: boolean;
    batchSize: number;
    pollMs: number;
    gatherMs: number;
    maxBackoffMs: number;
    leaseTimeoutSeconds: number;
    /** How long a view read with `?minPosition=` waits at most for the view to get there. */
    minPositionWaitMs: number;
  };
  /** How long /notifications/stream stays silent before it sends a heartbeat comment. */
  sseHeartbeatMs: number;
  /** Open SSE streams (/notifications/stream and the live views) per client address (0: no cap). */
  sseMaxStreamsPerClient: number;
  /** How long a client may take to send a request's headers, and the whole request, before a 408. */
  requestTimeouts: { headersMs: number; requestMs: number };
  /** How long after its body arrived a request is answered at the latest (503 then; 0: no deadline). */
  answerDeadlineMs: number;
  /** Snapshot intervals by stream type (0: off); unset, the aggregate class's default applies. */
  snapshotEvery: { Account?: number };
  /** Aggregates per type whose latest saved state stays in memory (0: none). */
  aggregateCacheSize: number;
  /** Event data and snapshot states: deflated from this many bytes (0: never), encrypted with the newest key. */
  payloads: { compressAbove: number; encryptionKeys: { id: string; key: Buffer }[] };
  /** Exact origins a browser may call the API from; empty: no CORS headers at all. */
  corsOrigins: string[];
  /** Requests per minute per client address (0: no limit). */
  rateLimitPerMinute: number;
  /** Proxies in front of the app whose `X-Forwarded-For` names the client (0: none). */
  trustProxyHops: number;
  /** Bearer JWT authentication; absent, every route is open (refused at a production start unless AUTH_DISABLED=true). */
  auth?: AuthConfig;
  /** AUTH_DISABLED=true: no authentication on purpose, also when `production`. */
  authDisabled: boolean;
  /** NODE_ENV=production (`npm run start:prod`, the Docker image): authentication or AUTH_DISABLED required, explorer off by default. */
  production: boolean;
  logs: LogConfig;
  /** What GET /metrics and GET /health/ready need. */
  observability: ObservabilityConfig;
  /** Whether the app serves the event explorer at /explorer. */
  explorer: boolean;
  /** NATS JetStream between bounded contexts; absent (no `NATS_URL`), no relay and no broker consumer runs. */
  broker?: BrokerConfig;
}

export interface ReplicaConfig {
  urls: string[];
  /** A replica more than this many bytes of WAL behind the primary leaves the rotation until it catches up. */
  maxLagBytes: number;
  /** How often each replica's replay lag is measured (and a replica out of the rotation tried again). */
  checkMs: number;
  /** How long a read with `?minPosition=` waits for a replica to replay that position before it reads the primary. */
  minPositionWaitMs: number;
}

export interface BrokerConfig {
  /** Comma-separated `nats://` or `tls://` server URLs. */
  servers: string[];
  /** The JetStream stream, and the first token of every subject the relay publishes. */
  stream: string;
  /** Event types the relay publishes; empty: every type. */
  relayTypes: string[];
  /** How long JetStream remembers a message id to drop a repeat: longer than a relay's crash and restart. */
  duplicateWindowSeconds: number;
  /** How many messages a broker consumer handles at once. */
  consumerConcurrency: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogConfig {
  level: LogLevel;
  /** json: one JSON object a line (production); pretty: for people, needs the pino-pretty dev dependency. */
  format: 'json' | 'pretty';
}

export interface ObservabilityConfig {
  /** When set, GET /metrics wants `Authorization: Bearer <token>`; unset, it is open. */
  metricsToken?: string;
  /** GET /health/ready fails when a follower's oldest unprocessed event is older than this (0: not checked). */
  readyMaxFollowerLagSeconds: number;
}

export interface AuthConfig {
  /** HS256 shared secret. */
  secret?: string;
  /** RS256 or ES256 public key (PEM). */
  publicKey?: string;
  issuer?: string;
  audience?: string;
  /** The claim that lists the token's roles: an array, or a space-separated string. */
  rolesClaim: string;
  /** Whether a token without `exp` is accepted (it would be valid for ever). */
  allowNoExp: boolean;
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * `EVENT_ENCRYPTION_KEYS=id:base64,id:base64`, oldest first: new payloads use the last,
 * and every listed key still decrypts what it sealed, so keys rotate by appending one.
 */
function encryptionKeys(raw: string | undefined): { id: string; key: Buffer }[] {
  if (!raw) return [];
  const keys = raw.split(',').map((entry) => {
    const match = /^([\w-]{1,64}):([A-Za-z0-9+/]+={0,2})$/.exec(entry.trim());
    const key = match ? Buffer.from(match[2], 'base64') : undefined;
    if (!match || key!.length !== 32) {
      throw new ConfigError(
        `EVENT_ENCRYPTION_KEYS must list id:key pairs, each key 32 bytes in base64 (openssl rand -base64 32); "${entry.split(':')[0]}" is not one`,
      );
    }
    return { id: match[1], key: key! };
  });
  const ids = keys.map((k) => k.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new ConfigError(`EVENT_ENCRYPTION_KEYS lists the key id "${repeated}" twice`);
  return keys;
}

function corsOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    // A browser sends the origin serialised exactly so: no path, no trailing slash, no default port.
    if (!URL.canParse(origin) || new URL(origin).origin !== origin || !/^https?:/.test(origin)) {
      throw new ConfigError(
        `CORS_ORIGINS must list exact origins such as https://app.example.com (scheme, host, port), got "${origin}"`,
      );
    }
  }
  return origins;
}

// HS256 wants a key at least as long as its hash (RFC 7518, 3.2).
const MIN_SECRET_LENGTH = 32;

function authConfig(env: NodeJS.ProcessEnv): AuthConfig | undefined {
  const secret = env.AUTH_JWT_SECRET || undefined;
  // .env files often hold a PEM on one line with escaped newlines.
  const publicKey = env.AUTH_JWT_PUBLIC_KEY?.replaceAll('\\n', '\n') || undefined;
  const issuer = env.AUTH_JWT_ISSUER || undefined;
  const audience = env.AUTH_JWT_AUDIENCE || undefined;
  if (!secret && !publicKey) {
    if (issuer || audience) {
      throw new ConfigError('AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE need AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY');
    }
    return undefined;
  }
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`AUTH_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (publicKey !== undefined) {
    let type: string | undefined;
    try {
      type = createPublicKey(publicKey).asymmetricKeyType;
    } catch {
      throw new ConfigError('AUTH_JWT_PUBLIC_KEY must be a public key in PEM format');
    }
    if (type !== 'rsa' && type !== 'ec') {
      throw new ConfigError(`AUTH_JWT_PUBLIC_KEY must be an RSA or EC key, got ${type}`);
    }
  }
  return {
    secret,
    publicKey,
    issuer,
    audience,
    rolesClaim: env.AUTH_JWT_ROLES_CLAIM || 'roles',
    allowNoExp: oneOf(env, 'AUTH_ALLOW_NO_EXP', ['true', 'false'] as const, 'false') === 'true',
  };
}

/** Whether the app is started for production: `npm run start:prod` and the Docker image set NODE_ENV=production. */
const isProduction = (env: NodeJS.ProcessEnv) => env.NODE_ENV === 'production';

const AUTH_SETTINGS =
  'AUTH_JWT_SECRET (an HS256 secret of 32+ characters) or AUTH_JWT_PUBLIC_KEY (an RS256 or ES256 public key in PEM)';

/** AUTH_DISABLED=true: run open on purpose; refused together with a key, which it would contradict. */
function authDisabled(env: NodeJS.ProcessEnv, auth: AuthConfig | undefined): boolean {
  const disabled = oneOf(env, 'AUTH_DISABLED', ['true', 'false'] as const, 'false') === 'true';
  if (disabled && auth) {
    throw new ConfigError(
      'AUTH_DISABLED=true turns authentication off, yet AUTH_JWT_SECRET or AUTH_JWT_PUBLIC_KEY is set: choose one',
    );
  }
  return disabled;
}

/**
 * Open (no authentication) is a choice: a production start of the server without a key
 * stops, unless AUTH_DISABLED=true says so, so that a clone deployed as it is never serves
 * everyone. main.ts asks before it serves; the CLIs, which serve nothing, do not.
 */
export function checkOpenOnPurpose(config: AppConfig): void {
  if (config.production && !config.auth && !config.authDisabled) {
    throw new ConfigError(
      `NODE_ENV=production and no authentication configured: set ${AUTH_SETTINGS} to turn it on, or AUTH_DISABLED=true to run with every route open to whoever reaches the port`,
    );
  }
}

function requestTimeouts(env: NodeJS.ProcessEnv): AppConfig['requestTimeouts'] {
  const headersMs = integer(env, 'HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000);
  const requestMs = integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  // The headers are part of the request: Node would never apply the longer bound.
  if (headersMs > requestMs) {
    throw new ConfigError(`HEADERS_TIMEOUT_MS (${headersMs}) must not exceed REQUEST_TIMEOUT_MS (${requestMs})`);
  }
  return { headersMs, requestMs };
}

// A read told to wait for its view must be able to wait that long and still answer.
// A view read waits for a replica first, then for the primary's view.
function assertWaitsFitTheDeadline({ answerDeadlineMs, followers, replicas }: AppConfig): void {
  const replicaWait = replicas.urls.length > 0 ? replicas.minPositionWaitMs : 0;
  if (answerDeadlineMs > 0 && followers.minPositionWaitMs + replicaWait >= answerDeadlineMs) {
    throw new ConfigError(
      replicaWait > 0
        ? `MIN_POSITION_WAIT_MS (${followers.minPositionWaitMs}) plus REPLICA_MIN_POSITION_WAIT_MS (${replicaWait}) must be below ANSWER_DEADLINE_MS (${answerDeadlineMs})`
        : `MIN_POSITION_WAIT_MS (${followers.minPositionWaitMs}) must be below ANSWER_DEADLINE_MS (${answerDeadlineMs})`,
    );
  }
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

// Shorter tokens fall to guessing; Prometheus reads them from a file, so length costs nothing.
const MIN_METRICS_TOKEN_LENGTH = 16;

function observabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  const metricsToken = env.METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && !/^[\x21-\x7e]+$/.test(metricsToken)) {
    throw new ConfigError('METRICS_TOKEN must be visible ASCII characters only');
  }
  if (metricsToken !== undefined && metricsToken.length < MIN_METRICS_TOKEN_LENGTH) {
    throw new ConfigError(`METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters`);
  }
  return {
    metricsToken,
    readyMaxFollowerLagSeconds: integer(env, 'READY_MAX_FOLLOWER_LAG_SECONDS', 60, 0, 86_400),
  };
}

// A stream name is one subject token: no dots, wildcards or whitespace.
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const EVENT_TYPE = /^[A-Za-z0-9_.-]{1,200}$/;

function brokerConfig(env: NodeJS.ProcessEnv): BrokerConfig | undefined {
  const list = (raw: string | undefined) =>
    (raw ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  const servers = list(env.NATS_URL);
  if (servers.length === 0) {
    const orphan = ['NATS_STREAM', 'NATS_RELAY_TYPES'].find((name) => env[name]);
    if (orphan) throw new ConfigError(`${orphan} needs NATS_URL`);
    return undefined;
  }
  const bad = servers.find((server) => !/^(nats|tls):\/\/[^\s/]+$/.test(server));
  if (bad) throw new ConfigError(`NATS_URL must list nats:// or tls:// server URLs, got "${bad}"`);
  const stream = env.NATS_STREAM || 'chronicle';
  if (!STREAM_NAME.test(stream)) {
    throw new ConfigError(`NATS_STREAM must be 1 to 64 letters, digits, _ or -, got "${stream}"`);
  }
  const relayTypes = list(env.NATS_RELAY_TYPES);
  const badType = relayTypes.find((type) => !EVENT_TYPE.test(type));
  if (badType) throw new ConfigError(`NATS_RELAY_TYPES must list event types, got "${badType}"`);
  return {
    servers,
    stream,
    relayTypes,
    duplicateWindowSeconds: integer(env, 'NATS_DUPLICATE_WINDOW_SECONDS', 600, 1, 86_400),
    consumerConcurrency: integer(env, 'NATS_CONSUMER_CONCURRENCY', 8, 1, 256),
  };
}

const DURATION_UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration as seconds (`86400`) or with a unit, s, m, h or d (`24h`), from `min` to `max` ms. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: string, min: number, max: number): number {
  const raw = env[name] || fallback;
  const match = /^(\d{1,12})([smhd]?)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * DURATION_UNITS_MS[(match[2] || 's') as keyof typeof DURATION_UNITS_MS] : NaN;
  if (!(ms >= min && ms <= max)) {
    throw new ConfigError(
      `${name} must be a duration from ${min / 1_000} s to ${max / 86_400_000} days, as seconds (86400) or with a unit s, m, h or d (24h), got "${raw}"`,
    );
  }
  return ms;
}

function replicaConfig(env: NodeJS.ProcessEnv): ReplicaConfig {
  const urls = (env.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  const bad = urls.find((url) => !/^postgres(ql)?:\/\//.test(url));
  if (bad !== undefined) {
    throw new ConfigError('DATABASE_REPLICA_URLS must list URLs that start with postgres:// or postgresql://');
  }
  return {
    urls,
    maxLagBytes: integer(env, 'REPLICA_MAX_LAG_BYTES', 16 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    checkMs: integer(env, 'REPLICA_CHECK_MS', 1_000, 10, 600_000),
    minPositionWaitMs: integer(env, 'REPLICA_MIN_POSITION_WAIT_MS', 1_000, 0, 60_000),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql://`);
  }
  const auth = authConfig(env);
  const config: AppConfig = {
    port: integer(env, 'PORT', 3000, 0, 65535),
    // Unset, the loopback: a clone started as it is cannot be reached from the network (the Docker image sets HOST=0.0.0.0).
    host: env.HOST || undefined,
    databaseUrl,
    embeddedPostgres: {
      dataDir: resolve(env.EMBEDDED_POSTGRES_DIR || '.data/postgres'),
      port: integer(env, 'EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
    },
    replicas: replicaConfig(env),
    database: {
      poolSize: integer(env, 'DATABASE_POOL_SIZE', 20, 1, 1000),
      poolWaitMs: integer(env, 'DATABASE_POOL_WAIT_MS', 5_000, 1, 600_000),
      statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000),
      idleInTransactionTimeoutMs: integer(env, 'DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', 30_000, 0, 3_600_000),
      queryTimeoutMs: integer(env, 'DATABASE_QUERY_TIMEOUT_MS', 4_000, 0, 3_600_000),
    },
    bodyLimit: env.BODY_LIMIT || '100kb',
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 20_000, 0, 3_600_000),
    commandRetries: integer(env, 'COMMAND_RETRIES', 20, 0, 1000),
    // At least a minute: longer than a client's retries, and than any skew of the app's clock from the database's.
    idempotencyKeyTtlMs: duration(env, 'IDEMPOTENCY_KEY_TTL', '24h', 60_000, 365 * 86_400_000),
    partitionsAhead: integer(env, 'EVENT_PARTITIONS_AHEAD', 2, 1, 1000),
    followers: {
      enabled: env.FOLLOWERS !== 'off',
      batchSize: integer(env, 'FOLLOWER_BATCH_SIZE', 500, 1, 10_000),
      pollMs: integer(env, 'FOLLOWER_POLL_MS', 1000, 10, 60_000),
      gatherMs: integer(env, 'FOLLOWER_GATHER_MS', 50, 0, 60_000),
      maxBackoffMs: integer(env, 'FOLLOWER_MAX_BACKOFF_MS', 30_000, 100, 3_600_000),
      leaseTimeoutSeconds: integer(env, 'FOLLOWER_LEASE_TIMEOUT_SECONDS', 10, 0, 3_600),
      minPositionWaitMs: integer(env, 'MIN_POSITION_WAIT_MS', 5_000, 0, 60_000),
    },
    sseHeartbeatMs: integer(env, 'SSE_HEARTBEAT_MS', 15_000, 10, 3_600_000),
    sseMaxStreamsPerClient: integer(env, 'SSE_MAX_STREAMS_PER_CLIENT', 10, 0, 100_000),
    requestTimeouts: requestTimeouts(env),
    answerDeadlineMs: integer(env, 'ANSWER_DEADLINE_MS', 10_000, 0, 3_600_000),
    snapshotEvery: { Account: integer(env, 'SNAPSHOT_EVERY_ACCOUNT', 100, 0, 1_000_000) },
    aggregateCacheSize: integer(env, 'AGGREGATE_CACHE_SIZE', 10_000, 0, 10_000_000),
    payloads: {
      compressAbove: integer(env, 'EVENT_COMPRESSION_MIN_BYTES', 0, 0, 100_000_000),
      encryptionKeys: encryptionKeys(env.EVENT_ENCRYPTION_KEYS),
    },
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 0, 1_000_000),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    auth,
    authDisabled: authDisabled(env, auth),
    production: isProduction(env),
    logs: {
      level: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
      format: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
    },
    observability: observabilityConfig(env),
    // A page that shows every event's data: off in production unless asked for.
    explorer: oneOf(env, 'EXPLORER', ['on', 'off'] as const, isProduction(env) ? 'off' : 'on') === 'on',
    broker: brokerConfig(env),
  };
  assertWaitsFitTheDeadline(config);
  return config;
}
