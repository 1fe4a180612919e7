import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One row per follower of the log: how far it got, and what stopped it if something did. */
export class Followers1795680000001 implements MigrationInterface {
  name = 'Followers1795680000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE followers (
        name        text        PRIMARY KEY,
        position    bigint      NOT NULL DEFAULT 0,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        last_error  jsonb
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE followers`);
  }
}
