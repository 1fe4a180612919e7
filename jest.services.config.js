import config, { common, withDatabase, serviceTests } from './jest.config.js';

/** `npm run test:services`: the tests that need NATS JetStream, Chromium or PostgreSQL's binaries (see jest.config.js). */
export default {
  ...config,
  projects: [{ ...common, ...withDatabase, displayName: 'services', testMatch: serviceTests }],
};
