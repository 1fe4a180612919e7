import { JwtService } from '@nestjs/jwt';

/** A secret long enough for AUTH_JWT_SECRET. */
export const TEST_JWT_SECRET = 'chronicle-test-secret-0123456789abcdef';

export interface TokenOptions {
  secret?: string;
  expiresIn?: number;
  audience?: string;
  issuer?: string;
}

/** Signs an HS256 bearer token, as an identity provider would; `claims` usually hold `sub` and `roles`. */
export function signToken(claims: Record<string, unknown>, options: TokenOptions = {}): string {
  const { secret = TEST_JWT_SECRET, expiresIn = 300, audience, issuer } = options;
  return new JwtService().sign(claims, {
    secret,
    algorithm: 'HS256',
    expiresIn,
    ...(audience === undefined ? {} : { audience }),
    ...(issuer === undefined ? {} : { issuer }),
  });
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
