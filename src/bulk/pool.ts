/**
 * Runs `worker` over `items` with at most `concurrency` in flight. Once `stop()` says so, items
 * not yet started are handed to `skipped` instead; nothing is left unaccounted for.
 */
export const runPool = async <T>(
  items: T[],
  concurrency: number,
  worker: (item: T) => Promise<void>,
  stop: () => boolean,
  skipped: (item: T) => void,
): Promise<void> => {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      if (stop()) skipped(item);
      else await worker(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
};
