import { jest } from '@jest/globals';
import { validate, version } from 'uuid';
import { uuidv7 } from './uuid-v7.js';

describe('uuidv7', () => {
  it('makes valid version 7 ids with the RFC variant', () => {
    const id = uuidv7();
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(7);
    expect('89ab').toContain(id[19]);
  });

  it('starts each id with the time it was made', () => {
    const before = Date.now();
    const id = uuidv7();
    const msecs = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(msecs).toBeGreaterThanOrEqual(before);
    expect(msecs).toBeLessThanOrEqual(Date.now());
  });

  // More ids than one draw of random bytes holds (256), most of them within one millisecond.
  it('sorts ids in the order they were made, all distinct, across draws of random bytes', () => {
    const ids = Array.from({ length: 2_000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('keeps the order when the clock goes back', () => {
    const now = jest.spyOn(Date, 'now');
    try {
      now.mockReturnValue(Date.UTC(2030, 0, 1));
      const first = uuidv7();
      now.mockReturnValue(Date.UTC(2029, 0, 1));
      const second = uuidv7();
      expect(second > first).toBe(true);
      expect(second.slice(0, 13)).toBe(first.slice(0, 13));
    } finally {
      now.mockRestore();
    }
  });
});
