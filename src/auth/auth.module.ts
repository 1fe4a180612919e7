import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import type { AuthConfig } from '../config/app-config.js';
import { BearerTokenVerifier } from './bearer-token.verifier.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';

/** Bearer JWT authentication for every route, when configured; without configuration, nothing. */
@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig | undefined): DynamicModule {
    if (!config) return { module: AuthModule };
    return {
      module: AuthModule,
      providers: [
        {
          provide: APP_GUARD,
          useFactory: (reflector: Reflector) => new JwtAuthGuard(reflector, new BearerTokenVerifier(config)),
          inject: [Reflector],
        },
      ],
    };
  }
}
