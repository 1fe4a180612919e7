import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `account_summaries.opened_by`: the subject who opened each account (the `actorId` of its
 * first event), so that GET /accounts lists a subject's own accounts only. Rows of accounts
 * opened before take it from their first event; NULL when nothing authenticated that command.
 */
export class AccountOwners1795680000011 implements MigrationInterface {
  name = 'AccountOwners1795680000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE account_summaries ADD COLUMN opened_by text`);
    await queryRunner.query(`
      UPDATE account_summaries AS summary SET opened_by = opened.metadata->>'actorId'
        FROM events AS opened
       WHERE opened.stream_id = summary.id::text AND opened.version = 1`);
    await queryRunner.query(`CREATE INDEX account_summaries_opened_by_id ON account_summaries (opened_by, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE account_summaries DROP COLUMN opened_by`);
  }
}
