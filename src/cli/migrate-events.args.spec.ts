import { eventMigrations } from '../event-migrations.js';
import { type EventMigration, reencode } from '#event-sourcing';
import { parseMigrateEventsArgs, UsageError } from './migrate-events.args.js';

// A list of its own rather than the app's, which holds only reencode once the examples are gone.
const accountOpenedV2: EventMigration = {
  name: 'account-opened-v2',
  description: 'AccountOpened schema version 1 (no currency) rewritten as version 2 (currency EUR)',
  transform: (event) => event,
};
const parse = (...argv: string[]) => parseMigrateEventsArgs(argv, [reencode, accountOpenedV2]);

describe('npm run events:migrate -- <migration> [options]', () => {
  it('finds the migration and reads the options', () => {
    const { migration, options } = parse('account-opened-v2', '--into', 'events_v2', '--swap', '--batch-size', '500');
    expect(migration.name).toBe('account-opened-v2');
    expect(options).toEqual({ into: 'events_v2', swap: true, dryRun: undefined, restart: undefined, batchSize: 500 });
    expect(parse('reencode', '--dry-run', '--restart').options).toMatchObject({ dryRun: true, restart: true });
  });

  it('names an unknown migration and lists the known ones', () => {
    expect(() => parse('account-opened-v3')).toThrow(UsageError);
    expect(() => parse('account-opened-v3')).toThrow(
      /^Unknown migration "account-opened-v3"\.\n[\s\S]*\nmigrations:\n {2}reencode {11}every event's data[\s\S]*\n {2}account-opened-v2 {2}AccountOpened schema version 1/,
    );
  });

  it.each([
    [[], 'Name one migration.'],
    [['reencode', 'account-opened-v2'], 'Name one migration.'],
    [['reencode', '--swap'], '--swap needs --into <table>.'],
    [['reencode', '--batch-size', '0'], '--batch-size must be a whole number > 0, not "0".'],
    [['reencode', '--fast'], "Unknown option '--fast'"],
  ])('refuses %j', (argv, problem) => {
    expect(() => parse(...argv)).toThrow(problem);
  });

  it('knows each migration by one name', () => {
    const names = eventMigrations.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
