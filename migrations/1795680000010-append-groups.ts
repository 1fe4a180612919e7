import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `chronicle_append_group`: appends to several streams in one call and one transaction, so
 * that appends arriving together share one commit flush and one take of the critical
 * section (docs/PERFORMANCE.md, "Appending"). `chronicle_append` (1795680000009) stays for
 * appends sent alone, and for each append of a group that raised.
 *
 * Each append keeps its own outcome, as if sent alone: stored, a duplicate (its event ids
 * already stored: a retry of an append that committed) or a conflict (the stream is not at
 * the expected version; `conflict` holds the version it is at). Anything that raises (an
 * event id stored in another stream, an idempotency key taken, a bad payload) rolls the
 * whole group back: the store then sends each of its appends alone.
 *
 * The arrays: per append, its stream, expected version (NULL for 'any'), number of events
 * and idempotency record; per event, the events of every append one after another. The
 * caller never puts two appends of one stream in a group (each would read the version the
 * other is about to change). One row per append, in order.
 *
 * The log's ordering rule holds as for one append (docs/ARCHITECTURE.md, "The log"): one
 * transaction id for the whole group, taken with all of its positions in the critical
 * section, and nothing before it in the transaction writes. As in 1795680000009, no
 * `ON CONFLICT` and no constraint names, so that it runs on a partitioned log too.
 */
export class AppendGroups1795680000010 implements MigrationInterface {
  name = 'AppendGroups1795680000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION chronicle_append_group(
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
                       conflict integer)
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
        PERFORM pg_advisory_xact_lock(k.type_key, k.stream_key)
           FROM (SELECT hashtext(u.stream_type) AS type_key, hashtext(u.stream_id) AS stream_key
                   FROM unnest(p_stream_types, p_stream_ids) AS u(stream_type, stream_id)
                  ORDER BY 1, 2) AS k;

        v_versions := ARRAY(
          SELECT (SELECT coalesce(max(e.version), 0) FROM events e WHERE e.stream_id = u.stream_id)
            FROM unnest(p_stream_ids) AS u(stream_id));

        FOR i IN 1 .. v_appends LOOP
          v_expected := p_expected_versions[i];
          v_dup_version := NULL;
          IF v_expected IS NULL OR v_expected <> v_versions[i] THEN
            -- Off the happy path, as in chronicle_append: event ids already stored are a
            -- retry of an append that committed. MATERIALIZED keeps the lookup on the
            -- event_id index.
            WITH found AS MATERIALIZED (
              SELECT e.version, e.position, e.recorded_at FROM events e
               WHERE e.event_id = ANY (p_event_ids[v_first : v_first + p_event_counts[i] - 1])
            )
            SELECT f.version, f.position, f.recorded_at INTO v_dup_version, v_dup_position, v_dup_time
              FROM found f ORDER BY f.position DESC LIMIT 1;
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION chronicle_append_group(
      text[], text[], integer[], integer[], text[], text[], jsonb[], uuid[], text[], integer[], jsonb[], jsonb[])`);
  }
}
