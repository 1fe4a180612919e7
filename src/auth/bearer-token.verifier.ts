import { JwtService, TokenExpiredError } from '@nestjs/jwt';
import type { AuthConfig } from '../config/app-config.js';
import { CONTROL_CHARACTER } from '../security/control-characters.js';

/** Who a verified token speaks for. */
export interface Principal {
  /** The token's `sub`. */
  id: string;
  roles: string[];
}

/** A token that proves nothing: absent, malformed, forged, expired or meant for someone else. */
export class InvalidTokenError extends Error {}

/**
 * A genuine token whose claims the app cannot use (a control character in `sub` or a role):
 * a bad request (400, RFC 6750's `invalid_request`) rather than a bad token, since a new
 * token from the same issuer would carry the same claims.
 */
export class UnusableClaimError extends Error {}

interface TrustedKey {
  key: string;
  algorithms: ('HS256' | 'RS256' | 'ES256')[];
}

/**
 * Verifies bearer JWTs against the configured key(s). Each key accepts only its own
 * algorithms, so a token signed with HS256 and the public key as its secret (algorithm
 * confusion) or with `alg: none` finds no key.
 */
export class BearerTokenVerifier {
  private readonly jwt = new JwtService();
  private readonly keys: TrustedKey[];

  constructor(private readonly config: AuthConfig) {
    this.keys = [
      ...(config.secret ? [{ key: config.secret, algorithms: ['HS256' as const] }] : []),
      ...(config.publicKey ? [{ key: config.publicKey, algorithms: ['RS256' as const, 'ES256' as const] }] : []),
    ];
  }

  async verify(token: string): Promise<Principal> {
    const decoded: unknown = this.jwt.decode(token, { complete: true });
    const algorithm = (decoded as { header?: { alg?: unknown } } | null)?.header?.alg;
    const trusted = this.keys.find((k) => k.algorithms.some((a) => a === algorithm));
    if (!trusted) throw new InvalidTokenError('The token is not a JWT signed with an accepted algorithm');
    let payload: Record<string, unknown>;
    try {
      payload = await this.jwt.verifyAsync(token, {
        secret: trusted.key,
        algorithms: trusted.algorithms,
        issuer: this.config.issuer,
        audience: this.config.audience,
      });
    } catch (error) {
      if (error instanceof TokenExpiredError) throw new InvalidTokenError('The token has expired');
      throw new InvalidTokenError(`The token is not valid: ${(error as Error).message}`);
    }
    if (payload.exp === undefined && !this.config.allowNoExp) {
      throw new InvalidTokenError('The token has no expiry (exp): it would be valid for ever');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new InvalidTokenError('The token names no subject (sub)');
    }
    const roles = rolesOf(payload[this.config.rolesClaim]);
    // The subject is stored as the actor of every event (PostgreSQL text cannot hold a NUL).
    if ([payload.sub, ...roles].some((claim) => CONTROL_CHARACTER.test(claim))) {
      throw new UnusableClaimError('The token names a subject or role with control characters');
    }
    return { id: payload.sub, roles };
  }
}

function rolesOf(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(/\s+/).filter((role) => role !== '');
  return Array.isArray(claim) ? claim.filter((role): role is string => typeof role === 'string') : [];
}
