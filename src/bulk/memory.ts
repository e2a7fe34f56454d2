import { createHash } from 'node:crypto';
import type { ZObject } from 'zapier-platform-core';
import type { ScopedCache } from '../http/cache';

/**
 * How long a step remembers what it confirmed: long enough for Zapier's retries after a throttle
 * and a user's replay, short enough that a Zap sending the same list tomorrow checks again.
 */
export const MEMORY_TTL_SECONDS = 3_600;

/** A short, stable digest of an email: the memory never holds the addresses themselves. */
const digest = (email: string) =>
  createHash('sha256').update(email).digest('base64url').slice(0, 16);

/**
 * What earlier runs of one step confirmed, in z.cache scoped to the connection and keyed by a
 * hash of what the step sends (emails, names, paid values, groups and options): a replay, or
 * Zapier's retry after a throttle, skips members an earlier run confirmed. z.cache is best
 * effort: when it is missing or fails, the step still converges, only with more requests.
 */
export class StepMemory {
  private readonly key: string;
  private readonly cache: ScopedCache;
  /**
   * Email digest → member id ('' when not known) of members confirmed done; `~` + id for
   * existing members whose id was found but whose work was not finished.
   */
  private done: Record<string, string> = {};

  constructor(z: ZObject, input: unknown) {
    const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    this.key = `bulk_add_members:v1:${hash}`;
    this.cache = z.cache;
  }

  async load(): Promise<void> {
    try {
      const value: unknown = await this.cache.get(this.key, ['auth']);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) if (typeof v === 'string') this.done[k] = v;
    } catch {
      // No memory: the run checks everything again.
    }
  }

  /** The member id an earlier run confirmed for this email ('' when not known), or undefined. */
  confirmed(email: string): string | undefined {
    const value = this.done[digest(email)];
    return value === undefined || value.startsWith('~') ? undefined : value;
  }

  /** Where an earlier run stopped reading a group's member list (its next cursor), if it did. */
  cursor(groupId: string): string | undefined {
    return this.done[`#${groupId}`];
  }

  /** Notes where this run stopped reading a group's list; null once the list was read to the end. */
  setCursor(groupId: string, cursor: string | null): void {
    if (cursor === null) delete this.done[`#${groupId}`];
    else this.done[`#${groupId}`] = cursor;
  }

  /** The id of an existing member an earlier run found but did not finish, or undefined. */
  existingId(email: string): string | undefined {
    const value = this.done[digest(email)];
    return value?.startsWith('~') ? value.slice(1) : undefined;
  }

  /**
   * Adds what this run confirmed, and the ids of existing members it found but did not finish,
   * to what earlier runs did.
   */
  async save(
    confirmed: Array<{ email: string; memberId: string | null }>,
    found: Array<{ email: string; memberId: string }> = [],
  ): Promise<void> {
    for (const { email, memberId } of found) this.done[digest(email)] = `~${memberId}`;
    for (const { email, memberId } of confirmed) this.done[digest(email)] = memberId ?? '';
    try {
      await this.cache.set(this.key, this.done, MEMORY_TTL_SECONDS, ['auth']);
    } catch {
      // Best effort: a replay without memory converges too.
    }
  }
}
