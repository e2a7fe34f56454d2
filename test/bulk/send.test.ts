/**
 * The sending phase (src/bulk/send.ts): batches, bisection of batches Sotion refuses whole, and
 * the wording of a refused member; through the engine where it takes a run.
 */
import nock from 'nock';
import { chunk, refusalReason, rejectionStatus } from '../../src/bulk/send';
import { errorInfo, withInfo } from '../../src/http/errors';
import { bulk, entriesOf, MovableDeadline, refuse, runEngine } from './engine';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

/** An error as the pipeline raises it, with what it knows of the answer. */
const failed = (status: number | undefined, apiMessage?: string, requestId?: string) =>
  withInfo(new Error(`HTTP ${status}`), { status, apiMessage, requestId, transient: false });

describe('bulk send: batches', () => {
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

describe('bulk send: refusal wording', () => {
  const refused = (apiMessage: string) =>
    withInfo(new Error('HTTP 422'), { status: 422, apiMessage, transient: false });
  const reason = (said: string) =>
    `Sotion refused this member (HTTP 422): ${said}. ` +
    'The other members of its batch were sent without it.';

  it("drops the member's position however it is spaced, and ends Sotion's sentence once", () => {
    expect(refusalReason(refused('Email is not valid.\n'), 422)).toBe(reason('Email is not valid'));
    expect(
      refusalReason(refused('Invalid email\n  at members[4].email (must contain @)'), 422),
    ).toBe(reason('Invalid email (must contain @)'));
  });

  it('calls members[n] "this member" with or without a field after it', () => {
    expect(refusalReason(refused('members[12] is listed twice'), 422)).toBe(
      reason('this member is listed twice'),
    );
    expect(refusalReason(refused('members[3].profile.name is too long'), 422)).toBe(
      reason('this member is too long'),
    );
  });
});

describe('bulk send: batches Sotion rejects whole', () => {
  it('counts each member Sotion refuses on its own, and sends the rest without it', async () => {
    refuse(['a@example.com', 'b@example.com'], 422, 'Invalid email at members[0].email');
    refuse(['a@example.com'], 422, 'Invalid email at members[0].email');
    bulk(['b@example.com'], { 'b@example.com': 'created' });
    const report = await runEngine(entriesOf(['a@example.com', 'b@example.com']));
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.reason])).toEqual([
      [
        'a@example.com',
        'failed',
        'Sotion refused this member (HTTP 422, X-Request-Id: req-a@example.com): Invalid email. ' +
          'The other members of its batch were sent without it.',
      ],
      ['b@example.com', 'created', null],
    ]);
    expect(report).toMatchObject({ apiRequests: 3, isolated: 1, notSent: 0 });
  });

  it('splits a batch that fails with HTTP 500 on every try; a member alone failing so is not called refused', async () => {
    refuse(['a@example.com', 'b@example.com'], 500, 'Internal error', 4);
    refuse(['a@example.com'], 500, 'Internal error', 4);
    bulk(['b@example.com'], { 'b@example.com': 'created' });
    const report = await runEngine(entriesOf(['a@example.com', 'b@example.com']));
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.reason])).toEqual([
      [
        'a@example.com',
        'failed',
        'Sotion had a problem (HTTP 500) while creating members in bulk. This is usually ' +
          'temporary: replay the step in a few minutes, and contact Sotion support with the ' +
          'request id if it keeps happening. Sotion said: "Internal error". ' +
          '(X-Request-Id: req-a@example.com)',
      ],
      ['b@example.com', 'created', null],
    ]);
    expect(report).toMatchObject({ apiRequests: 9, isolated: 0, notSent: 0 });
    expect(report.fatal).toBeUndefined();
  });
});

describe('bulk send: time and stops', () => {
  it('does not start a batch that the slowest batch so far says would not finish in time', async () => {
    // 1.7 s left: enough for the 1.5 s reserve, not for the reserve plus a 0.4 s batch.
    refuse(['a@example.com', 'b@example.com'], 422, 'Invalid email at members[1].email');
    bulk(['a@example.com'], { 'a@example.com': 'created' }, undefined, 400);
    const report = await runEngine(
      entriesOf(['a@example.com', 'b@example.com']),
      {},
      new MovableDeadline(1_700),
    );
    expect(nock.pendingMocks()).toEqual([]);
    expect(report.results.map((r) => [r.email, r.status, r.reason])).toEqual([
      ['a@example.com', 'created', null],
      [
        'b@example.com',
        'failed',
        'Not sent: the step ran out of the time Zapier allows. Replay the step to add the rest.',
      ],
    ]);
    expect(report).toMatchObject({ apiRequests: 2, notSent: 1, isolated: 0 });
    expect(report.fatal).toBeUndefined();
  });

  it('sends no further half of a split batch once a request stopped the step', async () => {
    refuse(['a@example.com', 'b@example.com'], 422, 'Invalid email at members[1].email');
    refuse(['a@example.com'], 403, 'Forbidden');
    const report = await runEngine(entriesOf(['a@example.com', 'b@example.com']));
    expect(nock.pendingMocks()).toEqual([]);
    expect(errorInfo(report.fatal)?.status).toBe(403);
    expect(report.results.map((r) => [r.email, r.status])).toEqual([
      ['a@example.com', 'failed'],
      ['b@example.com', 'failed'],
    ]);
    expect(report.results[1]?.reason).toBe(
      'Not sent: the step stopped after an error (see the step error).',
    );
    expect(report).toMatchObject({ apiRequests: 2, notSent: 1, isolated: 0 });
  });
});
