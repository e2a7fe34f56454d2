import type { SotionClient } from '../http/client';

/**
 * What one run of a step confirmed before it went back to Zapier (a throttle, or out of time),
 * kept in the step's memory (src/http/step-memory.ts: one z.cache entry under a digest of the
 * step's input, written with the turns the step holds), so that the next try goes on from there
 * instead of sending again what was done. Kept only when a try goes back; forgotten when the step
 * succeeds or fails for good. Best effort: without the cache, a try starts from the beginning,
 * which every step's requests allow (a second create answers 409, a second group add too).
 */
export class StepProgress<T extends object> {
  constructor(
    private readonly client: SotionClient,
    private readonly step: string,
  ) {}

  /**
   * Runs the step's work with what earlier tries confirmed (an empty object the first time). The
   * work notes what it confirms in that object; when the try goes back to Zapier it is kept.
   */
  async run<R>(work: (progress: Partial<T>) => Promise<R>): Promise<R> {
    const { memory, z } = this.client;
    await memory.load();
    const stored = memory.progress[this.step];
    const progress: Partial<T> =
      typeof stored === 'object' && stored !== null && !Array.isArray(stored)
        ? (stored as Partial<T>)
        : {};
    memory.progress[this.step] = progress;
    let result: R;
    try {
      result = await work(progress);
    } catch (error) {
      // A throttle keeps it (written with the turns the step holds, once); anything else ends
      // the step.
      if (error instanceof z.errors.ThrottledError) {
        if (!memory.kept) await this.client.ledger.keepTicket();
      } else await memory.forget();
      throw error;
    }
    await memory.forget();
    return result;
  }
}
