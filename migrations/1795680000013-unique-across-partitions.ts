import type { MigrationInterface, QueryRunner } from 'typeorm';
import { FasterAppend1795680000009 } from './1795680000009-faster-append.js';
import { AppendGroups1795680000010 } from './1795680000010-append-groups.js';

// A stream is its id: its lock and its version check both key on the id alone, whatever
// stream type an append names. Two-key advisory locks in a space of their own ("CHST"),
// apart from the follower leases' and from the critical section's one-key lock.
export const STREAM_LOCK_SPACE = 0x43485354;

// Event ids already stored in this stream: a retry of an append that committed. Only this
// stream's: an id stored in another stream is no retry of this append, and is refused
// (the version check's 409, or the unique event id's 23505), as the plain table always did.
// MATERIALIZED keeps the lookup on the event_id index: with ORDER BY position beside it,
// the planner may walk the whole log backwards looking for a match.
const STORED_IN_STREAM = (ids: string, stream: string) => `
  WITH found AS MATERIALIZED (
    SELECT e.version, e.position, e.recorded_at FROM events e
     WHERE e.event_id = ANY (${ids}) AND e.stream_id = ${stream}
  )
  SELECT f.version, f.position, f.recorded_at FROM found f ORDER BY f.position DESC LIMIT 1`;

const APPEND_SIGNATURE = `chronicle_append(
        p_stream_id        text,
        p_stream_type      text,
        p_expected_version integer,
        p_event_ids        uuid[],
        p_types            text[],
        p_schema_versions  integer[],
        p_data             jsonb[],
        p_metadata         jsonb[],
        p_idempotency_key  text,
        p_fingerprint      text,
        p_result           jsonb
      ) RETURNS TABLE (version integer, "position" bigint, recorded_at timestamptz, duplicate boolean)`;

const GROUP_SIGNATURE = `chronicle_append_group(
        p_stream_ids        text[],
        p_stream_types      text[],
        p_expected_versions integer[],
        p_event_counts      integer[],
        p_idempotency_keys  text[],
        p_fingerprints      text[],
        p_results           jsonb[],
        p_event_ids         uuid[],
        p_types             text[],
        p_schema_versions   integer[],
        p_data              jsonb[],
        p_metadata          jsonb[]
      ) RETURNS TABLE (version integer, "position" bigint, recorded_at timestamptz, duplicate boolean,
                       conflict integer)`;

/**
 * One answer from both logs, plain and partitioned, for every append (issue 16, items 3
 * and 5; docs/SCALING.md, "Unique across partitions"):
 *
 * - **A stream is its id.** The stream lock keyed on (type, id) while the version check
 *   read by id: two appends naming one id under two types both passed the check, and on a
 *   partitioned log, across a bound, both stored version 1. Both functions now lock the id.
 * - **A duplicate is one of this stream's events.** The lookup by event id answered with
 *   whichever stream held the id, so an id stored in another stream read as a retry.
 * - **Event ids are unique across partitions.** A partitioned `events` cannot have a
 *   global unique index on `event_id` (it lacks the partition key), and a lookup cannot
 *   see an append in flight in another partition. `chronicle_unique_event_ids()` gives the
 *   partitioned log a plain table `event_ids` with the id as its primary key, filled by a
 *   statement trigger on every INSERT into `events`: a second copy anywhere is a 23505,
 *   as on the plain table, whose own UNIQUE (event_id) stays the only check (no side table,
 *   no trigger: nothing is added to its appends). `enablePartitioning` calls it; here it
 *   runs for a log that is partitioned already.
 * - **The log is locked before the position's sequence.** `chronicle_append` took its
 *   positions (a lock on `events_position_seq`) and only then touched `events`, unlike the
 *   group function; `enablePartitioning`, holding `events`, then waited to drop that
 *   sequence while the append waited for `events`: a deadlock (40P01). The version check
 *   now runs before the critical section, as in the group function, so every append locks
 *   `events` first. A conflict no longer takes the critical section or a position.
 */
export class UniqueAcrossPartitions1795680000013 implements MigrationInterface {
  name = 'UniqueAcrossPartitions1795680000013';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION ${APPEND_SIGNATURE}
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_count     integer := cardinality(p_event_ids);
        v_current   integer;
        v_locked    text;
        v_xid       xid8;
        v_now       timestamptz;
        v_positions bigint[];
      BEGIN
        -- Writers of one stream queue here until the previous one commits. A statement of
        -- its own (here an assignment), so that the next statement's snapshot is taken
        -- after the wait and sees what the previous writer committed.
        v_locked := pg_advisory_xact_lock(${STREAM_LOCK_SPACE}, hashtext(p_stream_id))::text;

        SELECT coalesce(max(e.version), 0) INTO v_current FROM events e WHERE e.stream_id = p_stream_id;
        IF p_expected_version IS NULL OR v_current <> p_expected_version THEN
          RETURN QUERY SELECT d.version, d.position, d.recorded_at, true
            FROM (${STORED_IN_STREAM('p_event_ids', 'p_stream_id')}) AS d;
          IF FOUND THEN
            RETURN;
          END IF;
          IF p_expected_version IS NOT NULL THEN
            RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, v_current, p_expected_version
              USING ERRCODE = 'CH409', DETAIL = v_current::text;
          END IF;
        END IF;

        -- The critical section: the transaction id and the positions, taken together and
        -- in one order (the identity sequence has CACHE 1), and nothing else.
        v_locked := pg_advisory_lock(7262873648392817)::text;
        v_xid := pg_current_xact_id();
        v_now := date_trunc('milliseconds', clock_timestamp());
        IF v_count = 1 THEN
          v_positions := ARRAY[nextval('events_position_seq')];
        ELSE
          v_positions := ARRAY(SELECT nextval('events_position_seq') FROM generate_series(1, v_count));
        END IF;
        v_locked := pg_advisory_unlock(7262873648392817)::text;

        -- One event without unnest: no function scan to set up, about 15% off the INSERT.
        IF v_count = 1 THEN
          INSERT INTO events (position, event_id, stream_id, stream_type, version, type, schema_version,
                              data, metadata, recorded_at, transaction_id) OVERRIDING SYSTEM VALUE
          VALUES (v_positions[1], p_event_ids[1], p_stream_id, p_stream_type, v_current + 1, p_types[1],
                  p_schema_versions[1], p_data[1], p_metadata[1], v_now, v_xid);
        ELSE
          INSERT INTO events (position, event_id, stream_id, stream_type, version, type, schema_version,
                              data, metadata, recorded_at, transaction_id) OVERRIDING SYSTEM VALUE
          SELECT u.position, u.event_id, p_stream_id, p_stream_type, v_current + u.n::integer, u.type,
                 u.schema_version, u.data, u.metadata, v_now, v_xid
            FROM unnest(v_positions, p_event_ids, p_types, p_schema_versions, p_data, p_metadata)
                 WITH ORDINALITY AS u(position, event_id, type, schema_version, data, metadata, n);
        END IF;

        IF p_idempotency_key IS NOT NULL THEN
          INSERT INTO idempotency_keys (key, fingerprint, stream_id, version, position, result, recorded_at)
          VALUES (p_idempotency_key, p_fingerprint, p_stream_id, v_current + v_count, v_positions[v_count],
                  p_result, v_now);
        END IF;

        version := v_current + v_count;
        "position" := v_positions[v_count];
        recorded_at := v_now;
        duplicate := false;
        RETURN NEXT;
      END
      $fn$`);

    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION ${GROUP_SIGNATURE}
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_appends          integer := cardinality(p_stream_ids);
        v_events           integer := cardinality(p_event_ids);
        -- Per append: its stream's version, then the version after the append.
        v_versions         integer[];
        -- Per append: the number of its last event among the stored ones (0: it stores nothing).
        v_last             integer[] := array_fill(0, ARRAY[v_appends]);
        -- Per event: its append, its number among the stored events (0: not stored), its version.
        v_owners           integer[] := array_fill(0, ARRAY[v_events]);
        v_slots            integer[] := array_fill(0, ARRAY[v_events]);
        v_event_versions   integer[] := array_fill(0, ARRAY[v_events]);
        -- The answers, per append.
        o_versions         integer[] := array_fill(NULL::integer, ARRAY[v_appends]);
        o_positions        bigint[] := array_fill(NULL::bigint, ARRAY[v_appends]);
        o_times            timestamptz[] := array_fill(NULL::timestamptz, ARRAY[v_appends]);
        o_duplicates       boolean[] := array_fill(false, ARRAY[v_appends]);
        o_conflicts        integer[] := array_fill(NULL::integer, ARRAY[v_appends]);
        v_stored           integer := 0;
        v_keys             boolean := false;
        v_first            integer := 1;
        v_expected         integer;
        v_dup_version      integer;
        v_dup_position     bigint;
        v_dup_time         timestamptz;
        v_locked           text;
        v_xid              xid8;
        v_now              timestamptz;
        v_positions        bigint[];
      BEGIN
        -- The streams' locks, taken in one order (by lock key) so that two groups never wait
        -- on each other crosswise. A statement of its own, so that the next one's snapshot
        -- sees what earlier writers of these streams committed.
        PERFORM pg_advisory_xact_lock(${STREAM_LOCK_SPACE}, k.stream_key)
           FROM (SELECT hashtext(u.stream_id) AS stream_key FROM unnest(p_stream_ids) AS u(stream_id)
                  ORDER BY 1) AS k;

        v_versions := ARRAY(
          SELECT (SELECT coalesce(max(e.version), 0) FROM events e WHERE e.stream_id = u.stream_id)
            FROM unnest(p_stream_ids) AS u(stream_id));

        FOR i IN 1 .. v_appends LOOP
          v_expected := p_expected_versions[i];
          v_dup_version := NULL;
          IF v_expected IS NULL OR v_expected <> v_versions[i] THEN
            ${STORED_IN_STREAM('p_event_ids[v_first : v_first + p_event_counts[i] - 1]', 'p_stream_ids[i]')}
              INTO v_dup_version, v_dup_position, v_dup_time;
          END IF;
          IF v_dup_version IS NOT NULL THEN
            o_versions[i] := v_dup_version;
            o_positions[i] := v_dup_position;
            o_times[i] := v_dup_time;
            o_duplicates[i] := true;
          ELSIF v_expected IS NOT NULL AND v_expected <> v_versions[i] THEN
            o_conflicts[i] := v_versions[i];
          ELSE
            FOR k IN v_first .. v_first + p_event_counts[i] - 1 LOOP
              v_stored := v_stored + 1;
              v_owners[k] := i;
              v_slots[k] := v_stored;
              v_event_versions[k] := v_versions[i] + k - v_first + 1;
            END LOOP;
            v_last[i] := v_stored;
            o_versions[i] := v_versions[i] + p_event_counts[i];
            v_keys := v_keys OR p_idempotency_keys[i] IS NOT NULL;
          END IF;
          v_first := v_first + p_event_counts[i];
        END LOOP;

        IF v_stored > 0 THEN
          -- The critical section, as in chronicle_append: the transaction id, the clock and
          -- every position of the group, taken together, and nothing else.
          v_locked := pg_advisory_lock(7262873648392817)::text;
          v_xid := pg_current_xact_id();
          v_now := date_trunc('milliseconds', clock_timestamp());
          v_positions := ARRAY(SELECT nextval('events_position_seq') FROM generate_series(1, v_stored));
          v_locked := pg_advisory_unlock(7262873648392817)::text;

          INSERT INTO events (position, event_id, stream_id, stream_type, version, type, schema_version,
                              data, metadata, recorded_at, transaction_id) OVERRIDING SYSTEM VALUE
          SELECT v_positions[u.slot], u.event_id, p_stream_ids[u.append_no], p_stream_types[u.append_no],
                 u.event_version, u.type, u.schema_version, u.data, u.metadata, v_now, v_xid
            FROM unnest(v_slots, v_owners, v_event_versions, p_event_ids, p_types, p_schema_versions,
                        p_data, p_metadata)
                 AS u(slot, append_no, event_version, event_id, type, schema_version, data, metadata)
           WHERE u.slot > 0;

          FOR i IN 1 .. v_appends LOOP
            IF v_last[i] > 0 THEN
              o_positions[i] := v_positions[v_last[i]];
              o_times[i] := v_now;
            END IF;
          END LOOP;

          -- In key order, so that two groups storing the same keys never wait on each other crosswise.
          IF v_keys THEN
            INSERT INTO idempotency_keys (key, fingerprint, stream_id, version, position, result, recorded_at)
            SELECT u.key, u.fingerprint, u.stream_id, u.stream_version, u.last_position, u.result, v_now
              FROM unnest(p_idempotency_keys, p_fingerprints, p_stream_ids, o_versions, o_positions, p_results, v_last)
                   AS u(key, fingerprint, stream_id, stream_version, last_position, result, last_slot)
             WHERE u.key IS NOT NULL AND u.last_slot > 0
             ORDER BY u.key;
          END IF;
        END IF;

        RETURN QUERY SELECT * FROM unnest(o_versions, o_positions, o_times, o_duplicates, o_conflicts);
      END
      $fn$`);

    // A statement trigger with a transition table: one INSERT into event_ids per INSERT
    // into events, however many rows (a group's), rather than one per row.
    await queryRunner.query(`
      CREATE FUNCTION chronicle_record_event_ids() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        INSERT INTO event_ids (event_id) SELECT a.event_id FROM appended a;
        RETURN NULL;
      END
      $fn$`);
    // Called where events is partitioned, holding it (ACCESS EXCLUSIVE) so that no append
    // slips between the copy and the trigger. The primary key is built after the copy, by
    // sorting, much faster than one random insert into the index per id.
    await queryRunner.query(`
      CREATE FUNCTION chronicle_unique_event_ids() RETURNS void
      LANGUAGE plpgsql AS $fn$
      BEGIN
        CREATE TABLE event_ids AS SELECT e.event_id FROM events e;
        ALTER TABLE event_ids ADD CONSTRAINT event_ids_pkey PRIMARY KEY (event_id);
        CREATE TRIGGER events_unique_ids AFTER INSERT ON events REFERENCING NEW TABLE AS appended
          FOR EACH STATEMENT EXECUTE FUNCTION chronicle_record_event_ids();
      END
      $fn$`);
    const [{ partitioned }] = await queryRunner.query(
      `SELECT relkind = 'p' AS partitioned FROM pg_class WHERE oid = 'events'::regclass`,
    );
    if (partitioned) {
      // Fails, naming an id, where the log already holds one twice (docs/SCALING.md says what to do).
      await queryRunner.query(`LOCK TABLE events IN ACCESS EXCLUSIVE MODE`);
      await queryRunner.query(`SELECT chronicle_unique_event_ids()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS events_unique_ids ON events`);
    await queryRunner.query(`DROP TABLE IF EXISTS event_ids`);
    await queryRunner.query(`DROP FUNCTION chronicle_unique_event_ids()`);
    await queryRunner.query(`DROP FUNCTION chronicle_record_event_ids()`);
    await new FasterAppend1795680000009().up(queryRunner);
    await new AppendGroups1795680000010().down(queryRunner);
    await new AppendGroups1795680000010().up(queryRunner);
  }
}
