import config, { common, serviceTests } from './jest.config.js';

/** `npm run test:services`: the tests that need NATS JetStream or Chromium (see jest.config.js). */
export default { ...config, projects: [{ ...common, displayName: 'services', testMatch: serviceTests }] };
