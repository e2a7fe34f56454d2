import type { ZObject } from 'zapier-platform-core';
import { ConnectionCache, digestOf } from '../http/cache';

/**
 * How long a step's progress is kept: long enough for Zapier to run the step again after a
 * throttle (the tries of one run), short enough that a later run with the same input starts anew.
 */
export const PROGRESS_TTL_SECONDS = 1_800;

/**
 * What one run of a step confirmed before it went back to Zapier (a throttle, or out of time),
 * kept in z.cache under a digest of the step's input, so that the next try goes on from there
 * instead of sending again what was done. Kept only when a try goes back; forgotten when the step
 * succeeds or fails for good. Best effort: without the cache, a try starts from the beginning,
 * which every step's requests allow (a second create answers 409, a second group add too).
 */
export class StepProgress<T extends object> {
  private readonly cache: ConnectionCache;
  private readonly key: string;
  private loaded = false;

  constructor(
    private readonly z: ZObject,
    step: string,
    input: unknown,
  ) {
    this.cache = new ConnectionCache(z);
    this.key = `sotion:progress:v1:${step}:${digestOf(input ?? null)}`;
  }

  /**
   * Runs the step's work with what earlier tries confirmed (an empty object the first time). The
   * work notes what it confirms in that object; when the try goes back to Zapier it is kept.
   */
  async run<R>(work: (progress: Partial<T>) => Promise<R>): Promise<R> {
    const stored = await this.cache.get(this.key);
    const progress: Partial<T> =
      typeof stored === 'object' && stored !== null && !Array.isArray(stored)
        ? (stored as Partial<T>)
        : {};
    this.loaded = Object.keys(progress).length > 0;
    let result: R;
    try {
      result = await work(progress);
    } catch (error) {
      if (error instanceof this.z.errors.ThrottledError) {
        if (Object.keys(progress).length) {
          await this.cache.set(this.key, progress, PROGRESS_TTL_SECONDS);
        }
      } else if (this.loaded) {
        await this.cache.delete(this.key);
      }
      throw error;
    }
    if (this.loaded) await this.cache.delete(this.key);
    return result;
  }
}
