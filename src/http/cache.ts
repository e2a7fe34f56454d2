import { createHash } from 'node:crypto';
import type { ZObject } from 'zapier-platform-core';

/**
 * z.cache as core implements it (src/tools/create-cache.js): `get` and `delete` take a scope too,
 * though core's typings leave it out. Reading without the scope would miss what `set` stored with
 * it. `nx` stores only when the key is absent (Zapier's cache honours it and the TTL; the
 * in-memory mock of createAppTester ignores both).
 */
export interface ScopedCache {
  get(key: string, scope?: string[]): Promise<unknown>;
  set(key: string, value: unknown, ttl?: number, scope?: string[], nx?: boolean): Promise<unknown>;
  delete(key: string, scope?: string[]): Promise<unknown>;
}

/** Every key is the connection's: runs of one Sotion site key share it, no one else does. */
const AUTH: string[] = ['auth'];

/** A short, stable digest of any JSON value (keys never hold emails or other input as such). */
export const digestOf = (value: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(value) ?? '')
    .digest('base64url')
    .slice(0, 22);

/**
 * z.cache scoped to the connection, best effort: a call that fails answers "nothing there" (or
 * "not stored") and the run goes on without the cache; after one failure the run stops asking,
 * so a cache that is down costs one round trip, not one per request.
 */
export class ConnectionCache {
  private readonly cache: ScopedCache;
  private broken = false;

  constructor(z: Pick<ZObject, 'cache'>) {
    this.cache = z.cache;
  }

  /** False once a call failed in this run. */
  get working(): boolean {
    return !this.broken;
  }

  private async attempt<T>(call: () => Promise<T>, otherwise: T): Promise<T> {
    if (this.broken) return otherwise;
    try {
      return await call();
    } catch {
      this.broken = true;
      return otherwise;
    }
  }

  /** The value stored under `key`, or undefined. */
  get(key: string): Promise<unknown> {
    return this.attempt(async () => (await this.cache.get(key, AUTH)) ?? undefined, undefined);
  }

  /**
   * Stores `value` for `ttlSeconds` (whole seconds, as core requires); false when it failed. The
   * value is stored as JSON would have it: core refuses a field that is `undefined` outright.
   */
  set(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    return this.attempt(async () => {
      await this.cache.set(key, asJson(value), ttl(ttlSeconds), AUTH);
      return true;
    }, false);
  }

  /**
   * Stores `value` only if no live entry has `key` (z.cache's `nx`): true when this call stored
   * it, so exactly one of several runs claiming one key wins it.
   */
  claim(key: string, value: unknown, ttlSeconds: number): Promise<boolean> {
    return this.attempt(
      async () => Boolean(await this.cache.set(key, value, ttl(ttlSeconds), AUTH, true)),
      false,
    );
  }

  delete(key: string): Promise<void> {
    return this.attempt(async () => {
      await this.cache.delete(key, AUTH);
    }, undefined);
  }
}

const ttl = (seconds: number) => Math.max(1, Math.ceil(seconds));

/** What JSON makes of a value (fields that are `undefined` left out). */
const asJson = (value: unknown): unknown =>
  value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
