import { JwtService } from '@nestjs/jwt';
import { generateKeyPairSync } from 'node:crypto';
import { BearerTokenVerifier, InvalidTokenError, UnusableClaimError } from './bearer-token.verifier.js';

const jwt = new JwtService();
const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SECRET = 'a-unit-test-secret-of-32-characters-or-more';

const es256 = (claims: object) => jwt.sign(claims, { privateKey: privatePem, algorithm: 'ES256', expiresIn: 60 });
const hs256 = (claims: object, secret: string) => jwt.sign(claims, { secret, algorithm: 'HS256', expiresIn: 60 });

describe('BearerTokenVerifier', () => {
  const withPublicKey = new BearerTokenVerifier({ publicKey: publicPem, rolesClaim: 'roles', allowNoExp: false });
  const withSecret = new BearerTokenVerifier({ secret: SECRET, rolesClaim: 'roles', allowNoExp: false });

  it('accepts an ES256 token signed by the holder of the public key', async () => {
    await expect(withPublicKey.verify(es256({ sub: 'alice', roles: ['admin'] }))).resolves.toEqual({
      id: 'alice',
      roles: ['admin'],
    });
  });

  it('refuses an HS256 token that uses the public key as its secret (algorithm confusion)', async () => {
    await expect(withPublicKey.verify(hs256({ sub: 'alice' }, publicPem))).rejects.toThrow(InvalidTokenError);
  });

  it('checks each algorithm against its own key when both are configured', async () => {
    const both = new BearerTokenVerifier({
      secret: SECRET,
      publicKey: publicPem,
      rolesClaim: 'roles',
      allowNoExp: false,
    });
    await expect(both.verify(hs256({ sub: 'svc' }, SECRET))).resolves.toMatchObject({ id: 'svc' });
    await expect(both.verify(es256({ sub: 'alice' }))).resolves.toMatchObject({ id: 'alice' });
  });

  it('reads roles from the configured claim, as an array or a space-separated string', async () => {
    const verifier = new BearerTokenVerifier({ secret: SECRET, rolesClaim: 'scope', allowNoExp: false });
    await expect(verifier.verify(hs256({ sub: 'a', scope: 'admin  audit' }, SECRET))).resolves.toEqual({
      id: 'a',
      roles: ['admin', 'audit'],
    });
    await expect(verifier.verify(hs256({ sub: 'a', scope: ['admin', 7] }, SECRET))).resolves.toEqual({
      id: 'a',
      roles: ['admin'],
    });
    await expect(verifier.verify(hs256({ sub: 'a', roles: ['admin'] }, SECRET))).resolves.toEqual({
      id: 'a',
      roles: [],
    });
  });

  it('refuses a token without exp, valid for ever, unless AUTH_ALLOW_NO_EXP=true', async () => {
    const forEver = jwt.sign({ sub: 'alice' }, { secret: SECRET, algorithm: 'HS256' });
    await expect(withSecret.verify(forEver)).rejects.toThrow(/no expiry/);
    const allowing = new BearerTokenVerifier({ secret: SECRET, rolesClaim: 'roles', allowNoExp: true });
    await expect(allowing.verify(forEver)).resolves.toEqual({ id: 'alice', roles: [] });
  });

  it.each([
    { sub: 'ali\u0000ce' },
    { sub: 'alice\n' },
    { sub: 'alice', roles: ['admin\u007f'] },
    { sub: 'alice', roles: 'admin \u0001' },
  ])('refuses a subject or role with control characters as an unusable claim: %j', async (claims) => {
    await expect(withSecret.verify(hs256(claims, SECRET))).rejects.toThrow(UnusableClaimError);
    await expect(withSecret.verify(hs256(claims, SECRET))).rejects.toThrow(/control characters/);
  });
});
