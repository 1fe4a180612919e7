import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per run of an event migration (`npm run events:migrate`): how far it got, so an
 * interrupted run continues where it stopped. `target` is `events` for a run in place, or
 * the table a copy-and-transform fills.
 */
export class EventMigrations1795680000005 implements MigrationInterface {
  name = 'EventMigrations1795680000005';

  async up(queryRunner: QueryRunner): Promise<void> {
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
  }
}
