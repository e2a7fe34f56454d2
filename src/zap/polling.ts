import type { Bundle } from 'zapier-platform-core';

/** Zapier's default cap on new items per poll. */
export const MAX_PER_POLL = 100;
/** The editor uses 3 records of a sample pull. */
export const SAMPLE_SIZE = 3;

export interface PollWindow {
  /** How many items to return at most. */
  max: number;
  /** Editor samples: the first page is enough. */
  firstPageOnly: boolean;
  /** Seeding dedupe when a Zap is turned on: as many ids as can be read. */
  walkAll: boolean;
}

/** What a poll should read, from `bundle.meta` (which tests may leave undefined). */
export const pollWindow = (meta: Bundle['meta'] | undefined): PollWindow => {
  const m = meta ?? ({} as Partial<Bundle['meta']>);
  const limit = typeof m.limit === 'number' && m.limit > 0 ? m.limit : undefined;
  if (m.isPopulatingDedupe) {
    return { max: Number.POSITIVE_INFINITY, firstPageOnly: false, walkAll: true };
  }
  if (m.isLoadingSample) {
    return {
      max: Math.min(limit ?? SAMPLE_SIZE, SAMPLE_SIZE),
      firstPageOnly: true,
      walkAll: false,
    };
  }
  return {
    max: Math.min(limit ?? MAX_PER_POLL, MAX_PER_POLL),
    firstPageOnly: false,
    walkAll: false,
  };
};
