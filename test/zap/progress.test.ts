import type { Bundle, ZObject } from 'zapier-platform-core';
import { ConnectionCache, digestOf } from '../../src/http/cache';
import { SotionClient } from '../../src/http/client';
import { StepProgress } from '../../src/zap/progress';
import { appTester, makeBundle, rejection } from '../helpers';

type Progress = { created?: string; added?: string[] };

const INPUT = { email: 'ada@example.com' };
/** Where the step's memory lives: one z.cache entry under a digest of the step's input. */
const MEMORY_KEY = `sotion:step:v2:${digestOf(INPUT)}`;

/** One try of a step: runs `work` under StepProgress, and reads the memory entry afterwards. */
const tryStep = (work: (progress: Partial<Progress>, z: ZObject) => Promise<string>) =>
  appTester(async (z: ZObject, bundle: Bundle) => {
    const client = new SotionClient(z, bundle);
    const keep = jest.spyOn(client.ledger, 'keepTicket');
    let outcome: { result?: string; error?: Error };
    try {
      outcome = {
        result: await new StepProgress<Progress>(client, 'create_member').run((p) => work(p, z)),
      };
    } catch (error) {
      outcome = { error: error as Error };
    }
    return {
      ...outcome,
      kept: keep.mock.calls.length,
      stored: await new ConnectionCache(z).get(MEMORY_KEY),
    };
  }, makeBundle(INPUT));

const throttle = (z: ZObject) => new z.errors.ThrottledError('later', 5);

describe('StepProgress', () => {
  it('a first try starts from nothing, and a try that succeeds leaves nothing behind', async () => {
    const seen: unknown[] = [];
    const run = await tryStep(async (progress) => {
      seen.push({ ...progress });
      progress.created = 'm1';
      return 'done';
    });
    expect(seen).toEqual([{}]);
    expect(run).toEqual({ result: 'done', kept: 0, stored: undefined });
  });

  it('a try that goes back to Zapier keeps what it confirmed; the next try goes on from there', async () => {
    const first = await tryStep(async (progress, z) => {
      progress.created = 'm1';
      throw throttle(z);
    });
    expect(first.error?.name).toBe('ThrottledError');
    expect(first.kept).toBe(1);
    expect(first.stored).toEqual({ progress: { create_member: { created: 'm1' } } });
    const seen: unknown[] = [];
    const second = await tryStep(async (progress) => {
      seen.push({ ...progress });
      return 'done';
    });
    expect(seen).toEqual([{ created: 'm1' }]);
    // Done: what was kept is deleted.
    expect(second).toEqual({ result: 'done', kept: 0, stored: undefined });
  });

  it('a step that fails for good forgets what earlier tries kept, and its error goes on', async () => {
    await tryStep(async (progress, z) => {
      progress.added = ['g1'];
      throw throttle(z);
    });
    const failed = await tryStep(async () => {
      throw new Error('refused');
    });
    expect(failed.error?.message).toBe('refused');
    expect(failed).toMatchObject({ kept: 0, stored: undefined });
  });

  it('progress of another kind than an object is no progress', async () => {
    await appTester(
      (z: ZObject) =>
        new ConnectionCache(z).set(MEMORY_KEY, { progress: { create_member: ['x'] } }, 60),
      makeBundle(INPUT),
    );
    const seen: unknown[] = [];
    await tryStep(async (progress) => {
      seen.push(progress);
      return 'done';
    });
    expect(seen).toEqual([{}]);
  });

  it('a try whose memory was already kept (by the pipeline, going back) does not keep it twice', async () => {
    const run = await appTester(async (z: ZObject, bundle: Bundle) => {
      const client = new SotionClient(z, bundle);
      const keep = jest.spyOn(client.ledger, 'keepTicket');
      const error = await rejection(
        new StepProgress<Progress>(client, 'create_member').run(async () => {
          await client.ledger.keepTicket();
          throw throttle(z);
        }),
      );
      return { name: error.name, kept: keep.mock.calls.length };
    }, makeBundle(INPUT));
    expect(run).toEqual({ name: 'ThrottledError', kept: 1 });
  });
});
