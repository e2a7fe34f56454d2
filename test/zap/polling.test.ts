import type { Bundle } from 'zapier-platform-core';
import { MAX_PER_POLL, pollWindow, SAMPLE_SIZE } from '../../src/zap/polling';

const meta = (m: Partial<Bundle['meta']>) => m as Bundle['meta'];

describe('pollWindow', () => {
  it('a poll reads up to 100 new items, fewer when Zapier asks for fewer', () => {
    expect(MAX_PER_POLL).toBe(100);
    expect(pollWindow(undefined)).toEqual({ max: 100, firstPageOnly: false, walkAll: false });
    expect(pollWindow(meta({}))).toEqual({ max: 100, firstPageOnly: false, walkAll: false });
    expect(pollWindow(meta({ limit: 20 }))).toEqual({
      max: 20,
      firstPageOnly: false,
      walkAll: false,
    });
    expect(pollWindow(meta({ limit: 500 })).max).toBe(100);
  });

  it('a limit that is not a positive number is no limit', () => {
    expect(pollWindow(meta({ limit: 0 })).max).toBe(100);
    expect(pollWindow(meta({ limit: -1 })).max).toBe(100);
    expect(pollWindow(meta({ limit: '20' as never })).max).toBe(100);
  });

  it('an editor sample reads the first page only, for at most 3 items', () => {
    expect(SAMPLE_SIZE).toBe(3);
    expect(pollWindow(meta({ isLoadingSample: true }))).toEqual({
      max: 3,
      firstPageOnly: true,
      walkAll: false,
    });
    expect(pollWindow(meta({ isLoadingSample: true, limit: 1 })).max).toBe(1);
    expect(pollWindow(meta({ isLoadingSample: true, limit: 10 })).max).toBe(3);
  });

  it('seeding dedupe reads every page, whatever the limit, ahead of a sample', () => {
    const all = { max: Number.POSITIVE_INFINITY, firstPageOnly: false, walkAll: true };
    expect(pollWindow(meta({ isPopulatingDedupe: true }))).toEqual(all);
    expect(pollWindow(meta({ isPopulatingDedupe: true, isLoadingSample: true, limit: 5 }))).toEqual(
      all,
    );
  });
});
