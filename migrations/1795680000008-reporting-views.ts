import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The reporting context's view, fed from the broker: deposits and withdrawals per day and
 * currency, and the currency of every account it has heard of (deposits do not carry it).
 */
export class ReportingViews1795680000008 implements MigrationInterface {
  name = 'ReportingViews1795680000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE reporting_account_currencies (
        account_id  uuid PRIMARY KEY,
        currency    text NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE reporting_daily_totals (
        day               date    NOT NULL,
        currency          text    NOT NULL,
        deposit_count     integer NOT NULL DEFAULT 0,
        deposit_total     bigint  NOT NULL DEFAULT 0,
        withdrawal_count  integer NOT NULL DEFAULT 0,
        withdrawal_total  bigint  NOT NULL DEFAULT 0,
        PRIMARY KEY (day, currency)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE reporting_daily_totals`);
    await queryRunner.query(`DROP TABLE reporting_account_currencies`);
  }
}
