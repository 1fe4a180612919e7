import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The advisory-lock key that marks an append in flight: a one-key (bigint) lock in a space
 * of its own ("CHIF" in the high 32 bits), apart from the critical section's one-key lock
 * and from the two-key stream and lease locks. Positions would need 2^62 to leave it.
 */
export const IN_FLIGHT_BASE = `(x'43484946'::bigint << 32)`;

// The last statement of the critical section in both append functions (migrations
// 1795680000009, 1795680000010, 1795680000013): the in-flight marker goes just before it.
const UNLOCK = 'v_locked := pg_advisory_unlock(7262873648392817)::text;';
const MARK = 'v_locked := pg_advisory_xact_lock(chronicle_in_flight_key(v_positions[1]))::text;';

const APPEND_FUNCTIONS = [
  'chronicle_append(text, text, integer, uuid[], text[], integer[], jsonb[], jsonb[], text, text, jsonb)',
  'chronicle_append_group(text[], text[], integer[], integer[], text[], text[], jsonb[], uuid[], text[], integer[], jsonb[], jsonb[])',
];

/**
 * Readers that never skip and never wait for a transaction that cannot hold an event
 * (issue 17; docs/ARCHITECTURE.md, "The log").
 *
 * - Each append marks itself in flight: inside the critical section, after it has taken its
 *   positions and before it lets the next append take any, it takes a transaction-scoped
 *   advisory lock keyed by its first position (one per call, so one per group: a group's
 *   appends commit or roll back together). The lock goes when its transaction ends.
 * - `chronicle_first_in_flight(after, before)`: the first position in the hole between the
 *   last event stored at or before `after` and `before` whose append is still in flight,
 *   or NULL once every append that took a position there has ended. It probes each
 *   position with a shared try-lock, released at once: any role may, and an append never
 *   waits on a probe (a probed position's marker has been taken already).
 * - `chronicle_appends_in_flight()`: every append of this database still in flight, with
 *   its first position and backend, from pg_locks (readable by any role). For the head,
 *   the followers' status and the age of an append that does not end.
 */
export class AppendsInFlight1795680000017 implements MigrationInterface {
  name = 'AppendsInFlight1795680000017';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION chronicle_in_flight_key(p_position bigint) RETURNS bigint
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$ SELECT ${IN_FLIGHT_BASE} + p_position $fn$`);
    await patchAppendFunctions(queryRunner, UNLOCK, `${MARK}\n          ${UNLOCK}`);
    // Probes in position order and stops at the first held (no ORDER BY: a sort would probe them all).
    await queryRunner.query(`
      CREATE FUNCTION chronicle_first_in_flight(p_after bigint, p_before bigint) RETURNS bigint
      LANGUAGE sql VOLATILE AS $fn$
        SELECT p FROM generate_series(
                 coalesce((SELECT e.position FROM events e WHERE e.position <= p_after
                            ORDER BY e.position DESC LIMIT 1), 0) + 1,
                 p_before - 1) AS p
         WHERE CASE WHEN pg_try_advisory_lock_shared(chronicle_in_flight_key(p))
                    THEN NOT pg_advisory_unlock_shared(chronicle_in_flight_key(p))
                    ELSE true END
         LIMIT 1
      $fn$`);
    await queryRunner.query(`
      CREATE FUNCTION chronicle_appends_in_flight() RETURNS TABLE (first_position bigint, pid integer)
      LANGUAGE sql STABLE AS $fn$
        SELECT ((l.classid::bigint << 32) | l.objid::bigint) - ${IN_FLIGHT_BASE}, l.pid
          FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND l.mode = 'ExclusiveLock'
           AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
           AND ((l.classid::bigint << 32) | l.objid::bigint) > ${IN_FLIGHT_BASE}
      $fn$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP FUNCTION chronicle_appends_in_flight()');
    await queryRunner.query('DROP FUNCTION chronicle_first_in_flight(bigint, bigint)');
    await patchAppendFunctions(queryRunner, `${MARK}\n          ${UNLOCK}`, UNLOCK);
    await queryRunner.query('DROP FUNCTION chronicle_in_flight_key(bigint)');
  }
}

/**
 * Replaces `from` with `to` in both append functions as they are defined now, rather than
 * restating their hundreds of lines for one added statement; fails if either lacks `from`.
 */
async function patchAppendFunctions(queryRunner: QueryRunner, from: string, to: string): Promise<void> {
  for (const signature of APPEND_FUNCTIONS) {
    const [{ definition }]: { definition: string }[] = await queryRunner.query(
      `SELECT pg_get_functiondef($1::regprocedure) AS definition`,
      [signature],
    );
    if (definition.split(from).length !== 2) throw new Error(`${signature} does not hold "${from}" once`);
    await queryRunner.query(definition.replace(from, to));
  }
}
