import { EventIdTakenError } from '../store/event-store.js';
import { toProblem } from './problem-details.filter.js';

describe('toProblem', () => {
  it('answers an event id stored in another stream as a conflict, not a server error', () => {
    expect(toProblem(new EventIdTakenError('0193a1b2-0000-7000-8000-000000000001'))).toMatchObject({
      status: 409,
      type: 'urn:chronicle:problem:event-id-taken',
      detail: 'Event id 0193a1b2-0000-7000-8000-000000000001 is stored already, in another stream',
    });
  });
});
