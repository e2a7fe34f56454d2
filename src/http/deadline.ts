import { runBudgetMs } from './config';

/** The time a run may still spend, counted from the start of the operation. */
export class Deadline {
  readonly startedAt: number;
  readonly endsAt: number;

  constructor(budgetMs: number = runBudgetMs(), now: number = Date.now()) {
    this.startedAt = now;
    this.endsAt = now + budgetMs;
  }

  remainingMs(now: number = Date.now()): number {
    return Math.max(0, this.endsAt - now);
  }

  /** True when waiting `ms` still leaves `reserveMs` for the work that follows. */
  canWait(ms: number, reserveMs = 1_000): boolean {
    return this.remainingMs() - ms >= reserveMs;
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
