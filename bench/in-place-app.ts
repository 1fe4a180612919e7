import { Body, Controller, HttpCode, Module, NotFoundException, Param, Post, type DynamicModule } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { Column, Entity, PrimaryColumn, Repository } from 'typeorm';
import { AccountIdParams } from '../src/contexts/accounts/interface/dto/account-id.params.js';
import { MoneyAmountDto } from '../src/contexts/accounts/interface/dto/money-amount.dto.js';

/** W7's baseline, the design people pick instead of event sourcing: one row per account, updated in place. */
export const IN_PLACE_SCHEMA = `
  CREATE TABLE accounts (
    id      uuid    PRIMARY KEY,
    balance bigint  NOT NULL DEFAULT 0,
    version integer NOT NULL DEFAULT 0
  )`;

@Entity('accounts')
export class InPlaceAccount {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('bigint')
  balance!: string;

  @Column('integer')
  version!: number;
}

@Controller('accounts')
export class InPlaceAccountsController {
  constructor(@InjectRepository(InPlaceAccount) private readonly accounts: Repository<InPlaceAccount>) {}

  // The same DTOs as the real endpoint, so both validate alike.
  @Post(':id/deposits')
  @HttpCode(200)
  async deposit(
    @Param() { id }: AccountIdParams,
    @Body() { amount }: MoneyAmountDto,
  ): Promise<{ id: string; version: number; balance: number }> {
    const { raw } = await this.accounts
      .createQueryBuilder()
      .update()
      .set({ balance: () => 'balance + :amount', version: () => 'version + 1' })
      .where('id = :id', { id })
      .setParameter('amount', amount)
      .returning(['balance', 'version'])
      .execute();
    const [row] = raw as { balance: string; version: number }[];
    if (!row) throw new NotFoundException();
    return { id, version: row.version, balance: Number(row.balance) };
  }
}

@Module({})
export class InPlaceAppModule {
  static forRoot(url: string, poolSize: number): DynamicModule {
    return {
      module: InPlaceAppModule,
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url, entities: [InPlaceAccount], extra: { max: poolSize } }),
        TypeOrmModule.forFeature([InPlaceAccount]),
      ],
      controllers: [InPlaceAccountsController],
    };
  }
}
