import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The read models of the accounts context: one summary per account, one statement line per money movement. */
export class AccountViews1795680000002 implements MigrationInterface {
  name = 'AccountViews1795680000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE account_summaries (
        id               uuid        PRIMARY KEY,
        owner            text        NOT NULL,
        currency         text        NOT NULL,
        balance          bigint      NOT NULL,
        overdraft_limit  bigint      NOT NULL,
        status           text        NOT NULL,
        version          integer     NOT NULL,
        opened_at        timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX account_summaries_owner_id ON account_summaries (owner, id)`);
    await queryRunner.query(`
      CREATE TABLE account_statement_lines (
        account_id     uuid        NOT NULL,
        version        integer     NOT NULL,
        position       bigint      NOT NULL,
        kind           text        NOT NULL,
        amount         bigint      NOT NULL,
        balance_after  bigint      NOT NULL,
        transfer_id    uuid,
        recorded_at    timestamptz NOT NULL,
        PRIMARY KEY (account_id, version)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE account_statement_lines`);
    await queryRunner.query(`DROP TABLE account_summaries`);
  }
}
