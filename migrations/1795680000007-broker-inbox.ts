import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The events each broker consumer (`@InboxConsumer`) has applied, written in the
 * transaction that applies one: JetStream may deliver an event again, and its row makes
 * the repeat change nothing.
 */
export class BrokerInbox1795680000007 implements MigrationInterface {
  name = 'BrokerInbox1795680000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE broker_inbox (
        consumer     text        NOT NULL,
        event_id     uuid        NOT NULL,
        position     bigint      NOT NULL,
        received_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE broker_inbox`);
  }
}
