import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const IS_PUBLIC = 'chronicle:auth:public';

/** Lets requests without a token through when authentication is on (health checks, say). */
export const Public = (): ClassDecorator & MethodDecorator =>
  // The empty requirement tells the OpenAPI document that the route needs no credentials.
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiSecurity({}));
