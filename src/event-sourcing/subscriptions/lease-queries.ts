/**
 * The SQL of follower leases (follower-leases.ts): advisory locks in two spaces of the
 * two-key form, apart from the store's locks, and the `follower_lease_sessions` table
 * (migrations/1795680000015-fenced-leases.ts).
 */

/** A follower's lease: a session-level lock held by an instance's lease session. */
export const LEASE_SPACE = 0x43484c46; // "CHLF"
/** A batch transaction of a follower's holder marks itself with a transaction-level lock here. */
export const BATCH_SPACE = 0x43484c42; // "CHLB"

/** The lease session's row: it expires `$1` seconds from now unless renewed. */
export const REGISTER_SESSION = `
  INSERT INTO follower_lease_sessions (pid, backend_start, expires_at)
  SELECT pid, backend_start, now() + $1 * interval '1 second' FROM pg_stat_activity WHERE pid = pg_backend_pid()
  ON CONFLICT (pid) DO UPDATE SET backend_start = excluded.backend_start, expires_at = excluded.expires_at`;

/** Updates no row once another instance has removed it to end the session. */
export const RENEW_SESSION = `
  UPDATE follower_lease_sessions SET expires_at = now() + $1 * interval '1 second' WHERE pid = pg_backend_pid()`;

/**
 * Takes lease `$2` if it is free. If not, ends every other lease session past its expiry,
 * which frees its leases (the holder of `$2` may be one), and removes their rows, and
 * those of sessions already gone. A session is ended only if it is the one that wrote the
 * row (same pid and start), not a later one given the same pid. One statement: an
 * instance tries the leases it lacks at every append.
 */
export const TAKE_LEASE = `
  WITH attempt AS MATERIALIZED (SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken),
  expired AS (
    DELETE FROM follower_lease_sessions
     WHERE NOT (SELECT taken FROM attempt) AND expires_at < now() AND pid <> pg_backend_pid()
    RETURNING pid, backend_start, expires_at
  )
  SELECT taken, ended.pid, ended.late_seconds
    FROM attempt
    LEFT JOIN (
      SELECT e.pid, ceil(extract(epoch FROM now() - e.expires_at))::int AS late_seconds, pg_terminate_backend(a.pid)
        FROM expired e JOIN pg_stat_activity a ON a.pid = e.pid AND a.backend_start = e.backend_start
    ) ended ON true`;

export interface TakeLeaseRow {
  taken: boolean;
  /** A lease session past its expiry, ended; null when none was. */
  pid: number | null;
  /** How many seconds past its expiry it was. */
  late_seconds: number | null;
}

/** How many of the sessions `$1` are still there. */
export const SESSIONS_LEFT = 'SELECT count(*)::int AS left FROM pg_stat_activity WHERE pid = ANY($1)';

/**
 * Ends the batch transactions of follower `$2` still open in other sessions: those of a
 * former holder, stopped with them (their row locks would keep the new holder waiting,
 * and whatever they write would be refused anyway).
 */
export const END_FORMER_BATCHES = `
  SELECT pg_terminate_backend(l.pid) FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = $1 AND l.objid = hashtext($2)::oid
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND l.pid <> pg_backend_pid()`;

/** Marks the transaction it runs in as a batch of follower `$2`'s holder, until it ends. */
export const MARK_BATCH = 'SELECT pg_advisory_xact_lock_shared($1, hashtext($2))';

export const UNLOCK_LEASE = 'SELECT pg_advisory_unlock($1, hashtext($2))';
