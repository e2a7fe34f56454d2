import { createHash, randomUUID } from 'node:crypto';
import type { ZObject } from 'zapier-platform-core';
import { accessGroups } from '../api/access-groups';
import { groupMembers } from '../api/group-members';
import { members } from '../api/members';
import type { GroupMemberItem, MemberListItem } from '../api/schemas';
import type { SotionClient } from '../http/client';
import { errorInfo, userError, withInfo } from '../http/errors';
import { withJitter } from '../http/middleware';
import { MAX_PAGE_SIZE, walkPages } from '../http/pagination';
import { stashCsv } from './csv-out';

/**
 * Export Members: every member of the site, or of one access group, as a CSV stored at Zapier.
 *
 * Requests: the access group list (a page per 100 groups, for the names and which groups are
 * custom), the members (a page per 100), then the member pages of each custom group that has
 * members (for the Access Groups column). Never one request per member.
 *
 * An export that does not fit in one run goes on in the next: each run reads pages until
 * EXPORT_RESERVE_MS is left, saves what it read in z.cache (scope: the connection; key: the
 * step's input) and hands Zapier a ThrottledError, and Zapier runs the step again a few seconds
 * later. The run that reads the last page writes the file from everything saved, stores it and
 * forgets the saved progress. The file is therefore a picture taken over several runs: a member
 * created after the export started (Sotion lists newest first) is not in it, one deleted after
 * its page was read still is, and the Access Groups column is as the group pages were read last.
 * `startedAt` and `finishedAt` bound that window.
 */

export const EXPORT_HEADER = [
  'Email',
  'Display Name',
  'Status',
  'Paid',
  'Verified',
  'Created',
  'Access Groups',
] as const;

/** Kept back in each run for saving progress, or for writing and storing the file. */
export const EXPORT_RESERVE_MS = 6_000;
/** How long saved progress is kept (longer than an export may run, so no part expires). */
export const EXPORT_TTL_SECONDS = 3 * 3_600;
/** Progress older than this is not resumed: the export starts over with fresh pages. */
export const EXPORT_MAX_AGE_MS = 2 * 3_600 * 1_000;
/** Saved parts stay small (z.cache values go through Zapier's RPC, which refuses large ones). */
export const CHUNK_ROWS = 2_000;
export const CHUNK_IDS = 10_000;
/** Seconds before Zapier runs the step again to go on (jitter is added). */
export const CONTINUE_DELAY_SECONDS = 5;

/** Between group names in the Access Groups column (names sometimes hold commas). */
export const GROUP_SEPARATOR = '; ';

/** A member as saved: [id, email, displayName, status, paid, verified, createdAt]. */
type Row = [string, string, string | null, string, boolean | null, boolean | null, string | null];

type Phase = 'groups' | 'members' | 'memberships';

interface ExportState {
  v: 1;
  groupId: string | null;
  startedAt: string;
  runs: number;
  requests: number;
  /** Members read so far (for messages). */
  read: number;
  phase: Phase;
  /** The next page of the list being read (null: its first page). */
  cursor: string | null;
  /** Custom groups: [id, name, memberCount], complete once the groups phase is over. */
  groups: Array<[string, string, number]>;
  /** The exported group, once found in the list. */
  target: { name: string; type: string } | null;
  /** In the memberships phase: the index in `groups` being read. */
  index: number;
  /** Keys of the saved parts, in order. */
  chunks: string[];
}

interface Chunk {
  rows: Row[];
  /** [index in groups, member ids of a page]. */
  memberships: Array<[number, string[]]>;
}

export type ExportResult = {
  file: string;
  filename: string;
  rowCount: number;
  accessGroupId: string | null;
  accessGroupName: string | null;
  startedAt: string;
  finishedAt: string;
  runs: number;
  apiRequests: number;
};

/** z.cache as core implements it: `get` and `delete` take the scope too (see bulk/memory.ts). */
interface ScopedCache {
  get(key: string, scope?: string[]): Promise<unknown>;
  set(key: string, value: unknown, ttl?: number, scope?: string[]): Promise<unknown>;
  delete(key: string, scope?: string[]): Promise<unknown>;
}

const SCOPE = ['auth'];

/** The cache key of an export: the step's input, hashed, per connection (scope auth). */
export const exportKey = (groupId: string | undefined): string =>
  `export_members:v1:${createHash('sha256')
    .update(JSON.stringify({ groupId: groupId ?? null }))
    .digest('hex')}`;

const isState = (value: unknown): value is ExportState =>
  typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 1;

const isChunk = (value: unknown): value is Chunk =>
  typeof value === 'object' &&
  value !== null &&
  Array.isArray((value as Chunk).rows) &&
  Array.isArray((value as Chunk).memberships);

const rowOf = (m: MemberListItem | GroupMemberItem): Row => [
  m.id,
  m.email,
  m.displayName,
  m.status,
  m.paid,
  m.verified,
  typeof m.createdAt === 'string' ? m.createdAt : null,
];

/** A file name part from a group's name: `premium-members`. */
const slug = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '') || 'group';

class Progress {
  readonly key: string;
  private readonly cache: ScopedCache;

  constructor(
    private readonly z: ZObject,
    groupId: string | undefined,
  ) {
    this.key = exportKey(groupId);
    this.cache = z.cache;
  }

  async load(now: Date): Promise<ExportState | undefined> {
    let value: unknown;
    try {
      value = await this.cache.get(this.key, SCOPE);
    } catch {
      return undefined;
    }
    if (!isState(value)) return undefined;
    if (now.getTime() - Date.parse(value.startedAt) > EXPORT_MAX_AGE_MS) {
      await this.forget(value);
      return undefined;
    }
    return value;
  }

  private async set(key: string, value: unknown): Promise<void> {
    let result: unknown;
    try {
      result = await this.cache.set(key, value, EXPORT_TTL_SECONDS, SCOPE);
    } catch (error) {
      result = error instanceof Error ? error.message : String(error);
      throw this.unsaved(String(result));
    }
    // Zapier answers null when it throttles the cache.
    if (result === null) throw this.unsaved('Zapier is limiting how fast the step may save');
  }

  private unsaved(why: string): Error {
    return userError(
      this.z,
      `Export Members could not save its progress at Zapier (${why}), so it cannot go on in a ` +
        'later run. Replay the step in a few minutes.',
      'export_not_saved',
      { transient: true },
    );
  }

  /** Saves the pages read since the last save (as a new part), then the state naming it. */
  async save(state: ExportState, pending: Chunk): Promise<void> {
    if (pending.rows.length || pending.memberships.length) {
      const key = `${this.key}:${randomUUID()}`;
      await this.set(key, { rows: pending.rows, memberships: pending.memberships });
      state.chunks.push(key);
      pending.rows = [];
      pending.memberships = [];
    }
    await this.set(this.key, state);
  }

  /** Every saved part, or undefined when one of them is gone. */
  async parts(state: ExportState): Promise<Chunk[] | undefined> {
    const values = await Promise.all(
      state.chunks.map((key) => this.cache.get(key, SCOPE).catch(() => undefined)),
    );
    return values.every(isChunk) ? values : undefined;
  }

  /** Forgets the export (best effort: what is left expires with its TTL). */
  async forget(state: ExportState | undefined): Promise<void> {
    const keys = [this.key, ...(state?.chunks ?? [])];
    await Promise.all(keys.map((key) => this.cache.delete(key, SCOPE).catch(() => undefined)));
  }
}

const describePhase = (state: ExportState): string => {
  if (state.phase === 'groups') return 'reading the access group list';
  if (state.phase === 'members') return 'reading the members';
  return `reading the members of access group ${state.index + 1} of ${state.groups.length} for the Access Groups column`;
};

/**
 * Runs the export for one run: reads what fits, then either returns the stored file or throws a
 * ThrottledError after saving, so that Zapier runs the step again to go on.
 */
export const exportMembers = async (
  client: SotionClient,
  groupId: string | undefined,
  now: () => Date = () => new Date(),
): Promise<ExportResult> => {
  const z = client.z;
  const progress = new Progress(z, groupId);
  const state: ExportState = (await progress.load(now())) ?? {
    v: 1,
    groupId: groupId ?? null,
    startedAt: now().toISOString(),
    runs: 0,
    requests: 0,
    read: 0,
    phase: 'groups',
    cursor: null,
    groups: [],
    target: null,
    index: 0,
    chunks: [],
  };
  state.runs += 1;
  const pending: Chunk = { rows: [], memberships: [] };
  let pages = 0;
  let counted = 0;
  /** Counts this run's requests into the state (before each save and at the end). */
  const count = () => {
    state.requests += client.requestsSent - counted;
    counted = client.requestsSent;
  };
  // Each run reads at least one page, so every run moves the export on.
  const timeLeft = () => pages === 0 || client.deadline.remainingMs() >= EXPORT_RESERVE_MS;

  /** Walks the current list from the saved cursor; true when it was read to the end. */
  const walk = async <T>(
    pagesOf: (after: string | null) => AsyncGenerator<{
      items: T[];
      hasMore: boolean;
      nextCursor: string | null;
    }>,
    take: (items: T[]) => void,
  ): Promise<boolean> => {
    if (!timeLeft()) return false;
    for await (const page of pagesOf(state.cursor)) {
      pages += 1;
      take(page.items);
      state.cursor = page.hasMore ? page.nextCursor : null;
      const ids = pending.memberships.reduce((n, [, list]) => n + list.length, 0);
      if (pending.rows.length >= CHUNK_ROWS || ids >= CHUNK_IDS) {
        count();
        await progress.save(state, pending);
      }
      if (page.hasMore && !timeLeft()) return false;
    }
    return true;
  };

  const advance = async (): Promise<boolean> => {
    if (state.phase === 'groups') {
      const done = await walk(
        (after) => walkPages(client, accessGroups.list, { after, limit: MAX_PAGE_SIZE }),
        (items) => {
          for (const group of items) {
            if (group.id === groupId) state.target = { name: group.name, type: group.type };
            if (group.type === 'custom')
              state.groups.push([group.id, group.name, group.memberCount]);
          }
        },
      );
      if (!done) return false;
      if (groupId !== undefined && state.target === null) {
        throw userError(
          z,
          `Sotion has no access group ${groupId} on this site (the access group list was read ` +
            'to the end): it may have been deleted. Pick the group from the dropdown, or leave ' +
            'Access Group empty to export every member.',
          'not_found',
          { status: 404 },
        );
      }
      state.phase = 'members';
      state.cursor = null;
    }
    if (state.phase === 'members') {
      const take = (items: Array<MemberListItem | GroupMemberItem>) => {
        for (const member of items) pending.rows.push(rowOf(member));
        state.read += items.length;
      };
      const done =
        groupId === undefined
          ? await walk(
              (after) => walkPages(client, members.list, { after, limit: MAX_PAGE_SIZE }),
              take,
            )
          : await walk(
              (after) =>
                walkPages(client, groupMembers.list, {
                  params: { groupId },
                  after,
                  limit: MAX_PAGE_SIZE,
                }),
              take,
            );
      if (!done) return false;
      state.phase = 'memberships';
      state.cursor = null;
      state.index = 0;
    }
    for (; state.index < state.groups.length; state.index += 1, state.cursor = null) {
      const [id, , memberCount] = state.groups[state.index] as [string, string, number];
      // The exported group's members are the rows themselves; an empty group has no pages.
      if (id === groupId || memberCount === 0) continue;
      const index = state.index;
      let done: boolean;
      try {
        done = await walk(
          (after) =>
            walkPages(client, groupMembers.list, {
              params: { groupId: id },
              after,
              limit: MAX_PAGE_SIZE,
            }),
          (items) => {
            if (items.length) pending.memberships.push([index, items.map((m) => m.id)]);
          },
        );
      } catch (error) {
        // Deleted since the group list was read: it is no member's group any more.
        if (errorInfo(error)?.status !== 404) throw error;
        done = true;
      }
      if (!done) return false;
    }
    return true;
  };

  let finished: boolean;
  try {
    finished = await advance();
  } catch (error) {
    count();
    const info = errorInfo(error);
    if (info?.transient || error instanceof z.errors.ThrottledError) {
      // A pause (Sotion's rate limit, a time-out): keep what was read for the replay.
      await progress.save(state, pending).catch(() => undefined);
    } else {
      await progress.forget(state);
    }
    throw error;
  }
  count();
  if (!finished) {
    await progress.save(state, pending);
    const delay = withJitter(CONTINUE_DELAY_SECONDS);
    throw withInfo(
      new z.errors.ThrottledError(
        `Export Members has read ${state.read.toLocaleString('en-US')} members so far in ` +
          `${state.runs} run${state.runs === 1 ? '' : 's'} and is ${describePhase(state)}; it ` +
          `goes on when Zapier runs the step again in about ${delay} seconds.`,
        delay,
      ),
      { retryAfterSeconds: delay },
    );
  }

  const parts = await progress.parts(state);
  if (parts === undefined) {
    // A saved part is gone (evicted): the file would miss members, so the export starts over.
    await progress.forget(state);
    const delay = withJitter(CONTINUE_DELAY_SECONDS);
    throw withInfo(
      new z.errors.ThrottledError(
        'Export Members lost part of the progress it had saved at Zapier, so it starts over ' +
          `when Zapier runs the step again in about ${delay} seconds.`,
        delay,
      ),
      { retryAfterSeconds: delay },
    );
  }
  const all = [...parts, pending];
  const groupsOf = new Map<string, Set<number>>();
  for (const part of all) {
    for (const [index, ids] of part.memberships) {
      for (const id of ids) {
        const set = groupsOf.get(id) ?? new Set<number>();
        set.add(index);
        groupsOf.set(id, set);
      }
    }
  }
  const targetIndex = state.groups.findIndex(([id]) => id === groupId);
  const seen = new Set<string>();
  const rows: Array<Array<string | boolean | null>> = [];
  for (const part of all) {
    for (const [id, email, displayName, status, paid, verified, createdAt] of part.rows) {
      // A member listed twice (the list changed between pages) is one row.
      if (seen.has(id)) continue;
      seen.add(id);
      const indexes = new Set(groupsOf.get(id));
      if (targetIndex >= 0) indexes.add(targetIndex);
      const names = [...indexes]
        .map((i) => state.groups[i]?.[1] ?? '')
        .sort((a, b) => a.localeCompare(b));
      rows.push([
        email,
        displayName,
        status,
        paid,
        verified,
        createdAt,
        names.join(GROUP_SEPARATOR),
      ]);
    }
  }
  const finishedAt = now();
  const date = finishedAt.toISOString().slice(0, 10);
  const filename = state.target
    ? `sotion-members-${slug(state.target.name)}-${date}.csv`
    : `sotion-members-${date}.csv`;
  const file = await stashCsv(z, { filename, header: EXPORT_HEADER, rows });
  await progress.forget(state);
  return {
    file: file.url,
    filename,
    rowCount: rows.length,
    accessGroupId: groupId ?? null,
    accessGroupName: state.target?.name ?? null,
    startedAt: state.startedAt,
    finishedAt: finishedAt.toISOString(),
    runs: state.runs,
    apiRequests: state.requests,
  };
};
