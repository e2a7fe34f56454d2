import { withInfo } from '../../src/http/errors';
import { chunk, refusalReason, rejectionStatus } from '../../src/bulk/run';

/** An error as the pipeline raises it, with what it knows of the answer. */
const failed = (status: number | undefined, apiMessage?: string, requestId?: string) =>
  withInfo(new Error(`HTTP ${status}`), { status, apiMessage, requestId, transient: false });

describe('bulk run: batches', () => {
  it('cuts the members into batches of the size, the last one shorter, none empty', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([1, 2, 3, 4], 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(chunk([], 500)).toEqual([]);
  });

  it('splits a batch refused for its content (400, 413, 422, any 5xx), not for who sends it', () => {
    for (const status of [400, 413, 422, 500, 502, 503]) {
      expect(rejectionStatus(failed(status))).toBe(status);
    }
    for (const status of [401, 403, 404, 409, 429, 499]) {
      expect(rejectionStatus(failed(status))).toBeUndefined();
    }
    // No answer at all (a network failure) and errors the pipeline did not raise.
    expect(rejectionStatus(failed(undefined))).toBeUndefined();
    expect(rejectionStatus(new Error('bug'))).toBeUndefined();
  });

  it("says Sotion's reason in the user's terms: members[137] is this member, already named", () => {
    expect(refusalReason(failed(422, 'Invalid email at members[137].email...', 'req-9'), 422)).toBe(
      'Sotion refused this member (HTTP 422, X-Request-Id: req-9): Invalid email. ' +
        'The other members of its batch were sent without it.',
    );
    expect(refusalReason(failed(400, 'members[12].displayName is too long'), 400)).toBe(
      'Sotion refused this member (HTTP 400): this member is too long. ' +
        'The other members of its batch were sent without it.',
    );
    expect(refusalReason(failed(413, 'Too large AT  Members[3]'), 413)).toBe(
      'Sotion refused this member (HTTP 413): Too large. ' +
        'The other members of its batch were sent without it.',
    );
    expect(refusalReason(failed(400), 400)).toBe(
      'Sotion refused this member (HTTP 400). The other members of its batch were sent without it.',
    );
  });
});
