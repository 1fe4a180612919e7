import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One key per data subject for the personal fields of events, snapshots and views
 * (crypto-shredding). An erased subject keeps its row, with no key, so personal data
 * written for it later is stored as erased rather than under a fresh key.
 */
export class PersonalDataKeys1795680000004 implements MigrationInterface {
  name = 'PersonalDataKeys1795680000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE personal_data_keys (
        subject_id  text        PRIMARY KEY,
        key         bytea,
        created_at  timestamptz NOT NULL DEFAULT now(),
        erased_at   timestamptz,
        CHECK ((key IS NULL) = (erased_at IS NOT NULL))
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE personal_data_keys`);
  }
}
