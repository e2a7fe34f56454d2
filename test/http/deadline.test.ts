import { Deadline } from '../../src/http/deadline';

describe('Deadline', () => {
  it('a wait that leaves exactly the reserve is affordable; one millisecond more is not', () => {
    const now = 1_800_000_000_000;
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    try {
      const deadline = new Deadline(5_000, now);
      expect(deadline.canWait(4_000, 1_000)).toBe(true);
      expect(deadline.canWait(4_001, 1_000)).toBe(false);
    } finally {
      clock.mockRestore();
    }
  });
});
