import { jest } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { withoutQueryTimeout } from './pooled-client.js';

describe('withoutQueryTimeout', () => {
  // Its statements' exemption is tested on a server in test/database/query-timeout.int-spec.ts.
  it('gives its storage up once the last work inside it ends, so that later promises do not pay for it', async () => {
    const disable = jest.spyOn(AsyncLocalStorage.prototype, 'disable');
    try {
      let finish!: () => void;
      const long = withoutQueryTimeout(() => new Promise<void>((resolve) => (finish = resolve)));
      await withoutQueryTimeout(async () => 'short');
      expect(disable).not.toHaveBeenCalled();
      finish();
      await long;
      expect(disable).toHaveBeenCalledTimes(1);
      await expect(withoutQueryTimeout(() => Promise.reject(new Error('failed')))).rejects.toThrow('failed');
      expect(disable).toHaveBeenCalledTimes(2);
    } finally {
      disable.mockRestore();
    }
  });
});
