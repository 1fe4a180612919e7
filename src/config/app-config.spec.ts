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

  it('takes Account snapshots every 100 events unless SNAPSHOT_EVERY_ACCOUNT says otherwise (0: off)', () => {
    expect(loadConfig({}).snapshotEvery).toEqual({ Account: 100 });
    expect(loadConfig({ SNAPSHOT_EVERY_ACCOUNT: '0' }).snapshotEvery).toEqual({ Account: 0 });
    expect(loadConfig({ SNAPSHOT_EVERY_ACCOUNT: '25' }).snapshotEvery).toEqual({ Account: 25 });
    expect(() => loadConfig({ SNAPSHOT_EVERY_ACCOUNT: '-1' })).toThrow(ConfigError);
  });

  it.each([{ PORT: 'abc' }, { PORT: '70000' }, { DATABASE_URL: 'mysql://x' }, { DATABASE_POOL_SIZE: '0' }])(
    'explains a bad value: %j',
    (env) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
    },
  );
});
