import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { poolOf } from '#event-sourcing/postgres';
import type { AuthConfig } from '../config/app-config.js';
import { BearerTokenVerifier } from './bearer-token.verifier.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { STREAM_TICKETS, StreamTicketsController } from './stream-tickets.controller.js';
import { StreamTickets } from './stream-tickets.js';

/**
 * Bearer JWT authentication for every route, when configured, and the stream tickets that
 * stand in for a token on live views; without configuration, nothing is checked (and
 * `POST /stream-tickets` answers tickets nothing needs).
 */
@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig | undefined): DynamicModule {
    if (!config) return { module: AuthModule, controllers: [StreamTicketsController] };
    return {
      module: AuthModule,
      controllers: [StreamTicketsController],
      providers: [
        {
          provide: STREAM_TICKETS,
          useFactory: (dataSource: DataSource) => new StreamTickets(poolOf(dataSource)),
          inject: [getDataSourceToken()],
        },
        {
          provide: APP_GUARD,
          useFactory: (reflector: Reflector, tickets: StreamTickets) =>
            new JwtAuthGuard(reflector, new BearerTokenVerifier(config), tickets),
          inject: [Reflector, STREAM_TICKETS],
        },
      ],
    };
  }
}
