import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event-sourcing machinery's schema in one step: the event store (events, idempotency
 * records, the append function), follower checkpoints, snapshots, personal-data keys and
 * event-migration runs. It replaced the migrations that built this schema up one by one
 * when `npm run examples:remove` squashed them, after a test had compared both schemas.
 *
 * Why a function for appends: an append must take its transaction id and its global
 * positions inside one short critical section (see docs/ARCHITECTURE.md, "The log"), and do
 * its version check, insert and idempotency record in one round trip.
 */
export class EventSourcing1795680000000 implements MigrationInterface {
  name = 'EventSourcing1795680000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE events (
        position        bigint GENERATED ALWAYS AS IDENTITY (CACHE 1) PRIMARY KEY,
        event_id        uuid        NOT NULL UNIQUE,
        stream_id       text        NOT NULL,
        stream_type     text        NOT NULL,
        version         integer     NOT NULL CHECK (version > 0),
        type            text        NOT NULL,
        schema_version  integer     NOT NULL CHECK (schema_version > 0),
        data            jsonb       NOT NULL,
        metadata        jsonb       NOT NULL,
        recorded_at     timestamptz NOT NULL,
        transaction_id  xid8        NOT NULL,
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        key          text        PRIMARY KEY,
        fingerprint  text        NOT NULL,
        stream_id    text        NOT NULL,
        version      integer     NOT NULL,
        position     bigint      NOT NULL,
        result       jsonb       NOT NULL,
        recorded_at  timestamptz NOT NULL
      )`);
    // Positions come from the identity sequence with CACHE 1: a per-session cache would
    // hand out positions out of the order in which the critical section is entered.
    await queryRunner.query(`
      CREATE FUNCTION chronicle_append(
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
      ) RETURNS TABLE (version integer, "position" bigint, recorded_at timestamptz, duplicate boolean)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_count    integer := cardinality(p_event_ids);
        v_current  integer;
        v_inserted integer;
        v_now      timestamptz;
      BEGIN
        -- Writers of one stream queue here until the previous one commits, so the version
        -- check below sees its result and the INSERT never waits on another's row.
        PERFORM pg_advisory_xact_lock(hashtext(p_stream_type), hashtext(p_stream_id));

        -- MATERIALIZED keeps the lookup on the event_id index: with ORDER BY position
        -- beside it, the planner may walk the whole log backwards looking for a match.
        RETURN QUERY
          WITH found AS MATERIALIZED (
            SELECT e.version, e.position, e.recorded_at FROM events e WHERE e.event_id = ANY (p_event_ids)
          )
          SELECT f.version, f.position, f.recorded_at, true FROM found f ORDER BY f.position DESC LIMIT 1;
        IF FOUND THEN
          RETURN;
        END IF;

        SELECT coalesce(max(e.version), 0) INTO v_current FROM events e WHERE e.stream_id = p_stream_id;
        IF p_expected_version IS NOT NULL AND v_current <> p_expected_version THEN
          RAISE EXCEPTION 'stream % is at version %, expected %', p_stream_id, v_current, p_expected_version
            USING ERRCODE = 'CH409', DETAIL = v_current::text;
        END IF;

        -- The critical section: the transaction id, the positions and the rows are taken
        -- together and in one order, and released before COMMIT so commits stay parallel.
        PERFORM pg_advisory_lock(7262873648392817);
        v_now := date_trunc('milliseconds', clock_timestamp());
        INSERT INTO events (event_id, stream_id, stream_type, version, type, schema_version,
                            data, metadata, recorded_at, transaction_id)
        SELECT u.event_id, p_stream_id, p_stream_type, v_current + u.n::integer, u.type,
               u.schema_version, u.data, u.metadata, v_now, pg_current_xact_id()
          FROM unnest(p_event_ids, p_types, p_schema_versions, p_data, p_metadata)
               WITH ORDINALITY AS u(event_id, type, schema_version, data, metadata, n)
         ORDER BY u.n
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_inserted = ROW_COUNT;
        PERFORM pg_advisory_unlock(7262873648392817);

        IF v_inserted <> v_count THEN
          RAISE EXCEPTION 'an event id of this append is already stored in another stream'
            USING ERRCODE = 'CH410';
        END IF;

        IF p_idempotency_key IS NOT NULL THEN
          INSERT INTO idempotency_keys (key, fingerprint, stream_id, version, position, result, recorded_at)
          VALUES (p_idempotency_key, p_fingerprint, p_stream_id, v_current + v_count,
                  currval(pg_get_serial_sequence('events', 'position')), p_result, v_now);
        END IF;

        RETURN QUERY SELECT v_current + v_count, currval(pg_get_serial_sequence('events', 'position')), v_now, false;
      END
      $fn$`);

    // One row per follower of the log: how far it got, and what stopped it if something did.
    await queryRunner.query(`
      CREATE TABLE followers (
        name        text        PRIMARY KEY,
        position    bigint      NOT NULL DEFAULT 0,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        last_error  jsonb
      )`);

    // Snapshots of aggregates, in the state shape (schema_version) of the code that wrote
    // them: a cache of the events, never the only copy of anything, so it can be emptied.
    await queryRunner.query(`
      CREATE TABLE snapshots (
        stream_id          text        NOT NULL,
        version            integer     NOT NULL,
        stream_type        text        NOT NULL,
        schema_version     integer     NOT NULL,
        state              jsonb       NOT NULL,
        first_recorded_at  timestamptz NOT NULL,
        recorded_at        timestamptz NOT NULL,
        created_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, version)
      )`);

    // One key per data subject (crypto-shredding). An erased subject keeps its row, with no
    // key, so personal data written for it later is stored as erased, not under a new key.
    await queryRunner.query(`
      CREATE TABLE personal_data_keys (
        subject_id  text        PRIMARY KEY,
        key         bytea,
        created_at  timestamptz NOT NULL DEFAULT now(),
        erased_at   timestamptz,
        CHECK ((key IS NULL) = (erased_at IS NOT NULL))
      )`);

    // One row per run of an event migration, so an interrupted run continues where it
    // stopped; target is 'events' in place, or the table a copy-and-transform fills.
    await queryRunner.query(`
      CREATE TABLE event_migrations (
        name            text        NOT NULL,
        target          text        NOT NULL,
        last_position   bigint      NOT NULL DEFAULT 0,
        end_position    bigint,
        events_read     bigint      NOT NULL DEFAULT 0,
        events_changed  bigint      NOT NULL DEFAULT 0,
        started_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        finished_at     timestamptz,
        PRIMARY KEY (name, target)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event_migrations`);
    await queryRunner.query(`DROP TABLE personal_data_keys`);
    await queryRunner.query(`DROP TABLE snapshots`);
    await queryRunner.query(`DROP TABLE followers`);
    await queryRunner.query(
      `DROP FUNCTION chronicle_append(text, text, integer, uuid[], text[], integer[], jsonb[], jsonb[], text, text, jsonb)`,
    );
    await queryRunner.query(`DROP TABLE idempotency_keys`);
    await queryRunner.query(`DROP TABLE events`);
  }
}
