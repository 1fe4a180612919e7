import { availableParallelism } from 'node:os';

// Jest runs the project as native ES modules (NestJS 12 ships ESM only) and @swc/jest
// strips the TypeScript: no node_modules are transformed.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    target: 'es2022',
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

export const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    // Sources import './x.js' (NodeNext resolution); in tests that is the .ts file.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The machinery's entry points (package.json "imports") point at dist/ for node; tests run the sources.
    '^#event-sourcing$': '<rootDir>/src/event-sourcing/index.ts',
    '^#event-sourcing/(domain|http|testing)$': '<rootDir>/src/event-sourcing/$1/index.ts',
    '^#event-sourcing/postgres$': '<rootDir>/src/event-sourcing/postgres.ts',
  },
  setupFiles: ['<rootDir>/test/support/setup-file.ts', '<rootDir>/test/support/async-storages.ts'],
};

/**
 * The test PostgreSQL server, for the projects that use one: jest starts it only when it
 * runs a test of such a project, so unit specs alone (`npm run test:unit`, `test:watch`) start none.
 */
export const withDatabase = {
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
};

/**
 * Tests that need something the machine must install: NATS JetStream (test/broker), Debian's
 * Chromium (the explorer page, the example web app), and PostgreSQL's own binaries for a
 * streaming replica (test/replicas: pg_basebackup, which the embedded server lacks).
 * `npm test` leaves them out so that it needs nothing but Node; `npm run test:services`
 * (jest.services.config.js) runs them, and CI runs both.
 */
export const serviceTests = [
  '<rootDir>/test/broker/**/*-spec.ts',
  '<rootDir>/test/explorer/explorer-page.e2e-spec.ts',
  '<rootDir>/test/web/**/*-spec.ts',
  '<rootDir>/test/replicas/**/*-spec.ts',
];

/**
 * The slow fault tests (kills, restarts, frozen servers, several instances under load):
 * `npm run test:faults` (jest.faults.config.js) runs them, CI too, so that `npm test`
 * stays the everyday suite.
 */
export const faultTests = [
  '<rootDir>/test/faults/**/*-spec.ts',
  // Faults of the test runner itself, not of the examples: they stay when the examples are removed.
  '<rootDir>/test/support/*.faults-spec.ts',
];
const withoutServiceTests = {
  ...common,
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/broker/',
    '<rootDir>/test/explorer/explorer-page\\.',
    '<rootDir>/test/web/',
    '<rootDir>/test/replicas/',
    '<rootDir>/test/faults/',
  ],
};

const projects = [
  {
    ...withoutServiceTests,
    displayName: 'unit',
    globalSetup: '<rootDir>/test/support/pglite-setup.mjs',
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/schematics/**/*.spec.ts', '<rootDir>/test/support/*.spec.ts'],
  },
  {
    ...withoutServiceTests,
    ...withDatabase,
    displayName: 'integration',
    testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  },
  { ...withoutServiceTests, ...withDatabase, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
];
const only = process.env.CHRONICLE_TEST_PROJECT || undefined;
const chosenProjects = projects.filter(({ displayName }) => only === undefined || displayName === only);
if (chosenProjects.length === 0) {
  const names = projects.map(({ displayName }) => displayName).join(', ');
  throw new Error(`CHRONICLE_TEST_PROJECT is ${only}: one of ${names}, or unset for all`);
}

/** @type {import('jest').Config} */
export default {
  testTimeout: 60_000,
  // A worker more than the cores: a test file spends much of its time waiting on its
  // PostgreSQL server and on followers, and a third worker on 2 cores fills those waits
  // (npm test 237 s with 2 workers, 173 s with 3, quiet, back to back). Each worker has an
  // embedded server of its own (test/support/global-setup.mjs). On a server of the user's own
  // (DATABASE_URL) one worker runs: it used to be that a test's open transaction held back
  // the followers of the file beside it; the log no longer waits for such transactions, but
  // the files have not been tried side by side on one server since.
  maxWorkers: process.env.DATABASE_URL ? 1 : availableParallelism() + 1,
  // `npm run test:unit` and its siblings choose their project by CHRONICLE_TEST_PROJECT, not by
  // --selectProjects, whose list would also take the paths and names given after it.
  projects: chosenProjects,
};
