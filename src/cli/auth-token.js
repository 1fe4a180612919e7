// Plain JavaScript (checked by tsc through JSDoc) so that it runs without a build.
import { JwtService } from '@nestjs/jwt';
import { parseArgs } from 'node:util';

const usage = 'usage: npm run auth:token -- --sub <user id> [--roles admin,auditor] [--expires-in 1h]';

/**
 * Prints an HS256 bearer token signed with AUTH_JWT_SECRET, with AUTH_JWT_ISSUER and
 * AUTH_JWT_AUDIENCE when set, for trying the API by hand. Production tokens come from an
 * identity provider.
 */
function main() {
  const { values } = parseArgs({
    options: { sub: { type: 'string' }, roles: { type: 'string', default: '' }, 'expires-in': { type: 'string' } },
  });
  const secret = process.env.AUTH_JWT_SECRET;
  if (!secret) throw new Error(`AUTH_JWT_SECRET is not set: it signs the token\n${usage}`);
  if (!values.sub) throw new Error(usage);
  const roles = values.roles.split(',').filter((role) => role !== '');
  const expiresIn = /** @type {import('@nestjs/jwt').JwtSignOptions['expiresIn']} */ (values['expires-in'] ?? '1h');
  const token = new JwtService().sign(
    { sub: values.sub, [process.env.AUTH_JWT_ROLES_CLAIM || 'roles']: roles },
    {
      secret,
      algorithm: 'HS256',
      expiresIn,
      ...(process.env.AUTH_JWT_ISSUER ? { issuer: process.env.AUTH_JWT_ISSUER } : {}),
      ...(process.env.AUTH_JWT_AUDIENCE ? { audience: process.env.AUTH_JWT_AUDIENCE } : {}),
    },
  );
  console.log(token);
}

try {
  main();
} catch (error) {
  console.error(/** @type {Error} */ (error).message);
  process.exit(1);
}
