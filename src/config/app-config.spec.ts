import { ConfigError, loadConfig } from './app-config.js';

describe('loadConfig', () => {
  it('has defaults for a machine with nothing set', () => {
    expect(loadConfig({})).toMatchObject({ port: 3000, databaseUrl: undefined, bodyLimit: '100kb' });
  });

  it('reads PORT and DATABASE_URL', () => {
    expect(loadConfig({ PORT: '8080', DATABASE_URL: 'postgres://u@h/db' })).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://u@h/db',
    });
  });

  it.each([{ PORT: 'abc' }, { PORT: '70000' }, { DATABASE_URL: 'mysql://x' }, { DATABASE_POOL_SIZE: '0' }])(
    'explains a bad value: %j',
    (env) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
    },
  );
});
