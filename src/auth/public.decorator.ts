import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'chronicle:auth:public';

/** Lets requests without a token through when authentication is on (health checks, say). */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC, true);
