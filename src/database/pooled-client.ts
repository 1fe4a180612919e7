import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';

/** What a statement the server did not answer in time fails with (the problem filter answers it with 503). */
export class QueryTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(
      `Query read timeout: the database did not answer within ${timeoutMs} ms (DATABASE_QUERY_TIMEOUT_MS); ` +
        'the connection was closed',
    );
  }
}

const unbounded = new AsyncLocalStorage<true>();
let unboundedRuns = 0;

/**
 * Runs `work` with no client-side limit on its statements: for migrations and tools whose
 * statements may rightly run for minutes (statement_timeout still applies, unless they lift it).
 */
export async function withoutQueryTimeout<T>(work: () => Promise<T>): Promise<T> {
  unboundedRuns++;
  try {
    return await unbounded.run(true, work);
  } finally {
    // On Node 20 and 22 every promise made after a storage's first use copies its value,
    // for the life of the process: the migrations at start-up would have each request pay
    // for this one (about 25 ns per promise, measured). Given up once no work runs inside it.
    if (--unboundedRuns === 0) unbounded.disable();
  }
}

type Query = pg.Client['query'];

/**
 * The pool's client class: every statement must be answered within `timeoutMs` (0: no
 * limit). statement_timeout is enforced by the server, so a server that is stopped
 * (SIGSTOP, a frozen VM) or cut off behind an open socket never answers, and a request
 * would wait for it for ever. Past the limit the socket is destroyed: the statement fails,
 * the transaction it belonged to is lost with its session (the server rolls it back once
 * it runs again), and the pool discards the client.
 */
export function pooledClient(timeoutMs: number): typeof pg.Client {
  return class PooledClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      // Opening a connection is waiting for the server's answer too: a frozen server accepts
      // the TCP connection and then says nothing.
      const { connectionTimeoutMillis = 0 } = config ?? {};
      const opening = timeoutMs > 0 && (connectionTimeoutMillis === 0 || timeoutMs < connectionTimeoutMillis);
      super(opening ? { ...config, connectionTimeoutMillis: timeoutMs } : config);
      // pg emits 'error' on a client the server drops (a restart, pg_terminate_backend)
      // while it is checked out of the pool between two queries, and neither pg-pool nor
      // TypeORM listens then: Node would end the process. Its next query fails instead
      // (503), and the pool discards it on release.
      this.on('error', () => undefined);
      if (timeoutMs > 0) this.query = this.bounded(this.query.bind(this));
    }

    private bounded(query: Query): Query {
      return ((...args: Parameters<Query>) => {
        if (unbounded.getStore()) return query(...args);
        const timer = setTimeout(() => this.connection.stream.destroy(new QueryTimeoutError(timeoutMs)), timeoutMs);
        const answered = () => clearTimeout(timer);
        const last = args.length - 1;
        const callback: unknown = args[last];
        if (typeof callback === 'function') {
          (args as unknown[])[last] = (...results: unknown[]) => {
            answered();
            (callback as (...results: unknown[]) => void)(...results);
          };
          return query(...args);
        }
        const result: unknown = query(...args);
        if (result instanceof Promise) return result.finally(answered);
        // A submittable (a cursor, a stream) reports through its own events: not bounded here.
        answered();
        return result;
      }) as Query;
    }
  };
}
