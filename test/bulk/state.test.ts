import type { ZObject } from 'zapier-platform-core';
import { BulkMemory } from '../../src/bulk/memory';
import { BulkRun, isFatal, RESERVE_MS, type Item, type StepResult } from '../../src/bulk/state';
import type { SotionClient } from '../../src/http/client';
import { withInfo } from '../../src/http/errors';
import { MovableDeadline } from './engine';

/** An error as the pipeline raises it. */
const failed = (status: number | undefined) =>
  withInfo(new Error(`HTTP ${status}`), { status, transient: false });

/** What BulkRun reads of its client: the requests sent and the deadline. */
const fakeClient = (requestsSent = 0, deadline = new MovableDeadline()) =>
  ({ requestsSent, deadline }) as unknown as SotionClient;

/** A z whose cache is one in-memory record, shared by every BulkMemory made on it. */
const memoryZ = () => {
  const store = new Map<string, unknown>();
  return {
    cache: {
      get: async (key: string) => store.get(key) ?? null,
      set: async (key: string, value: unknown) => store.set(key, JSON.parse(JSON.stringify(value))),
    },
  } as unknown as ZObject;
};

type Own = 'done' | 'skipped' | 'created';
const itemOf = (email: string): Item<Own> => ({
  entry: { raw: email, source: email },
  result: { email, source: email, status: 'failed', memberId: null, reason: null },
});

describe('bulk run state', () => {
  it('stops on errors that would fail every other request (401, 403, 429, unknown), keeping the first', () => {
    for (const status of [401, 403, 429, undefined]) expect(isFatal(failed(status))).toBe(true);
    expect(isFatal(new Error('bug'))).toBe(true);
    for (const status of [400, 404, 409, 422, 500, 503])
      expect(isFatal(failed(status))).toBe(false);

    const run = new BulkRun<Own>(fakeClient(), [], new Set(['done']));
    run.stopOn(failed(404));
    expect(run.stopped()).toBe(false);
    const first = failed(403);
    run.stopOn(first);
    run.stopOn(failed(401));
    expect(run.stopped()).toBe(true);
    expect(run.report.fatal).toBe(first);
  });

  it('fails items with the error as their reason, and stops on a fatal one', () => {
    const run = new BulkRun<Own>(fakeClient(), [], new Set(['done']));
    const items = [itemOf('a@x.io'), itemOf('b@x.io')];
    items[0]!.result.status = 'done';
    run.fail(items, failed(500));
    expect(items.map(({ result }) => [result.status, result.reason])).toEqual([
      ['failed', 'HTTP 500'],
      ['failed', 'HTTP 500'],
    ]);
    expect(run.stopped()).toBe(false);
    run.fail([itemOf('c@x.io')], failed(429));
    expect(run.stopped()).toBe(true);
  });

  it('is out of time with less than the reserve left; a batch needs the reserve and the slowest batch', () => {
    const deadline = new MovableDeadline(RESERVE_MS);
    const run = new BulkRun<Own>(fakeClient(0, deadline), [], new Set());
    expect([run.outOfTime(), run.noTimeForBatch()]).toEqual([false, false]);
    run.slowestMs = 200;
    expect([run.outOfTime(), run.noTimeForBatch()]).toEqual([false, true]);
    deadline.left = RESERVE_MS + 200;
    expect(run.noTimeForBatch()).toBe(false);
    deadline.left = RESERVE_MS - 1;
    expect(run.outOfTime()).toBe(true);
  });

  it('learns what lists and look-ups say of a member, on one record per email', () => {
    const run = new BulkRun<Own>(fakeClient(), [], new Set());
    const record = run.factsOf('a@x.io');
    expect(record).toEqual({ groups: new Set() });
    record.groups.add('g1');
    expect(run.learn('a@x.io', { id: 'm1', paid: null, status: 'blocked' })).toBe(record);
    expect(run.facts.get('a@x.io')).toEqual({
      id: 'm1',
      paid: null,
      status: 'blocked',
      groups: new Set(['g1']),
    });
  });

  it('across runs: what one run confirmed, learnt and created, the next takes over', async () => {
    const z = memoryZ();
    const emails = ['done@x.io', 'known@x.io', 'lost@x.io', 'new@x.io', 'bare@x.io'];
    const results: Array<StepResult<Own>> = [];
    const first = new BulkRun<Own>(
      fakeClient(7),
      results,
      new Set(['done']),
      new BulkMemory(z, 'test_step', 'input'),
    );
    const items = emails.map(itemOf);
    results.push(...items.map(({ result }) => result));
    const { fresh } = await first.resume(items, 'skipped');
    expect(fresh).toEqual(items);
    items[0]!.result.status = 'done';
    items[0]!.result.memberId = 'm0';
    first.learn('done@x.io', { id: 'm0', paid: false, status: 'active' });
    first.learn('known@x.io', { id: 'm1', paid: true, status: 'active' }).groups.add('g1');
    first.learn('lost@x.io', { id: 'm2', paid: true, status: 'active' });
    first.lost.add('lost@x.io');
    first.factsOf('bare@x.io');
    results.push(
      { ...items[3]!.result, status: 'created' },
      { ...items[3]!.result, status: 'created' },
    );
    const report = await first.finish();
    expect(report.apiRequests).toBe(7);

    const next = new BulkRun<Own>(
      fakeClient(),
      [],
      new Set(['done']),
      new BulkMemory(z, 'test_step', 'input'),
    );
    const again = emails.map(itemOf);
    const { remembered, fresh: rest } = await next.resume(again, 'skipped');
    expect(again[0]!.result).toMatchObject({
      status: 'skipped',
      memberId: 'm0',
      reason: 'Done by an earlier run of this step; not sent again.',
    });
    expect(remembered.map(({ result }) => result.email)).toEqual(['known@x.io', 'bare@x.io']);
    expect(rest.map(({ result }) => result.email)).toEqual(['lost@x.io', 'new@x.io']);
    expect(next.facts.get('known@x.io')).toEqual({
      id: 'm1',
      paid: true,
      status: 'active',
      groups: new Set(['g1']),
    });
    expect(next.facts.get('bare@x.io')).toEqual({
      id: undefined,
      paid: undefined,
      status: undefined,
      groups: new Set(),
    });
    expect(next.memory?.created).toBe(2);
  });
});
