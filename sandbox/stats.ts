/** Counters of a run: requests by route, injected faults and webhook deliveries. */
import type { DeliveryRecord } from './deliveries';

export type FaultKind =
  | 'fail'
  | 'reset'
  | 'malformed'
  | 'slow'
  | 'throttle'
  | 'rateLimited'
  | 'emptyPage'
  | 'rejectedEmail';

export interface Stats {
  total: number;
  byRoute: Record<string, number>;
  faults: Record<FaultKind, number>;
  deliveries: DeliveryRecord[];
}

export const resetStats = (stats: Stats): Stats =>
  Object.assign(stats, {
    total: 0,
    byRoute: {},
    faults: {
      fail: 0,
      reset: 0,
      malformed: 0,
      slow: 0,
      throttle: 0,
      rateLimited: 0,
      emptyPage: 0,
      rejectedEmail: 0,
    },
    deliveries: [],
  });
