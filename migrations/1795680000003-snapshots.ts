import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snapshots of aggregates: the state after one event of a stream, in the snapshot
 * shape (`schema_version`) of the code that wrote it. A cache of the events, never
 * the only copy of anything: the table can be emptied at any time.
 */
export class Snapshots1795680000003 implements MigrationInterface {
  name = 'Snapshots1795680000003';

  async up(queryRunner: QueryRunner): Promise<void> {
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE snapshots`);
  }
}
