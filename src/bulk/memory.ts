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

/** What a step learnt of an existing member whose work it has not finished. */
export interface ExistingFacts {
  /** Undefined: Sotion said the email exists, but its member was not found yet. */
  memberId?: string;
  /** What a list page or a look-up said (undefined when the member was not read). */
  paid?: boolean | null;
  status?: 'active' | 'blocked';
  /** The step's groups the member is known to be in. */
  groups?: string[];
}

/**
 * Where a list read stopped: the cursor of its next page (null once the list was read to the
 * end) and the pages read before it.
 */
export interface ListPosition {
  after: string | null;
  pages: number;
}

const PAID = { y: true, n: false, '-': null } as const;
const ROSTER_CODES = { pending: '+', removed: '-', gone: '0' } as const;
const ROSTER_STATES: Record<string, RosterMember['state']> = {
  '+': 'pending',
  '-': 'removed',
  '0': 'gone',
};
const paidCode = (paid: boolean | null) => (paid === null ? '-' : paid ? 'y' : 'n');

/**
 * A member of a synced group that is not in the step's list (Sync Access Group Members): kept
 * with its email, because the run that removes it may not be the one that read its page.
 */
export interface RosterMember {
  memberId: string;
  email: string;
  /**
   * `pending` until an earlier run removed it (`removed`), or Sotion answered that it was out of
   * the group already (`gone`: someone else removed it meanwhile).
   */
  state: 'pending' | 'removed' | 'gone';
}

/**
 * What earlier runs of one step confirmed, in z.cache scoped to the connection and keyed by the
 * step's kind and a hash of what the step sends (emails, names, paid values, groups and options):
 * a replay, or Zapier's retry after a throttle, skips what an earlier run did and goes on where
 * it stopped. Per email: done (with its member id, and the step's status when it keeps one), or
 * existing but unfinished (what is known of the member). Per step: the groups checked, how many
 * members it created, where each list read stopped and, for a sync, the group's members that are
 * not in its list. Only those are kept by address (a sync reports whom it removed); the step's
 * own emails are kept as digests. z.cache is best effort: when it is missing or fails, the step
 * still converges, only with more requests.
 */
export class BulkMemory {
  private readonly key: string;
  private readonly cache: ScopedCache;
  /** The groups members are known to be in, stored once (`%groups`): members hold indexes. */
  private groups: string[] = [];
  /**
   * Email digest → member id ('' when not known) of members confirmed done, with `=` and the
   * outcome when the step keeps outcomes (`0b7c…=removed`); `~` + what is known
   * of existing members whose work was not finished (ExistingFacts, encoded); `#list` → a list
   * position; `@group` → the group's member count when checked; `$created` → members created;
   * `%groups` → the groups members are known to be in; `!memberId` → a synced group's member
   * that is not in the list (`+email` pending, `-email` removed, `0email` found gone).
   */
  private done: Record<string, string> = {};

  /**
   * `kind` names the step (its operation key, such as `bulk_add_members`): steps of different
   * kinds never share a memory, whatever their input.
   */
  constructor(z: ZObject, kind: string, input: unknown) {
    const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    this.key = `${kind}:v1:${hash}`;
    this.cache = z.cache;
  }

  async load(): Promise<void> {
    try {
      const value: unknown = await this.cache.get(this.key, ['auth']);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) if (typeof v === 'string') this.done[k] = v;
      this.groups = this.done['%groups']?.split(',') ?? [];
    } catch {
      // No memory: the run checks everything again.
    }
  }

  /** The member id an earlier run confirmed for this email ('' when not known), or undefined. */
  confirmed(email: string): string | undefined {
    const value = this.done[digest(email)];
    return value === undefined || value.startsWith('~') ? undefined : value.split('=')[0];
  }

  /** The outcome an earlier run confirmed for this email, when it kept one. */
  outcome(email: string): string | undefined {
    const value = this.done[digest(email)];
    if (value === undefined || value.startsWith('~')) return undefined;
    const at = value.indexOf('=');
    return at < 0 ? undefined : value.slice(at + 1);
  }

  /** A synced group's members that are not in the step's list, as earlier runs read them. */
  roster(): RosterMember[] {
    return Object.entries(this.done)
      .filter(([key]) => key.startsWith('!'))
      .map(([key, value]) => ({
        memberId: key.slice(1),
        email: value.slice(1),
        state: ROSTER_STATES[value.charAt(0)] ?? 'pending',
      }));
  }

  /** Notes a synced group's member that is not in the step's list, and how far its removal got. */
  setRoster({ memberId, email, state }: RosterMember): void {
    this.done[`!${memberId}`] = `${ROSTER_CODES[state]}${email}`;
  }

  /** What an earlier run learnt of an existing member it did not finish, or undefined. */
  existing(email: string): ExistingFacts | undefined {
    const value = this.done[digest(email)];
    if (!value?.startsWith('~')) return undefined;
    const [id = '', read = '', groups = ''] = value.slice(1).split('/');
    const facts: ExistingFacts = {};
    if (id) facts.memberId = id;
    const paid = PAID[read.charAt(0) as keyof typeof PAID];
    if (paid !== undefined) {
      facts.paid = paid;
      facts.status = read.charAt(1) === 'b' ? 'blocked' : 'active';
    }
    const known = groups
      .split(',')
      .map((i) => this.groups[Number.parseInt(i, 36)])
      .filter((g): g is string => g !== undefined);
    if (known.length) facts.groups = known;
    return facts;
  }

  /** Where an earlier run stopped reading a list (a group's id, or `members`), if it did. */
  position(list: string): ListPosition | undefined {
    const value = this.done[`#${list}`];
    if (value === undefined) return undefined;
    const [after = '', pages = ''] = value.split('|');
    return { after: after || null, pages: Number.parseInt(pages, 10) || 0 };
  }

  /** Notes where this run stopped reading a list; undefined: the next run starts from the top. */
  setPosition(list: string, position: ListPosition | undefined): void {
    if (position === undefined) delete this.done[`#${list}`];
    else this.done[`#${list}`] = `${position.after ?? ''}|${position.pages}`;
  }

  /** The member count of a group an earlier run checked (it exists and is custom), or undefined. */
  checkedGroup(groupId: string): number | undefined {
    const value = this.done[`@${groupId}`];
    return value === undefined ? undefined : Number.parseInt(value, 10) || 0;
  }

  setCheckedGroup(groupId: string, memberCount: number): void {
    this.done[`@${groupId}`] = String(memberCount);
  }

  /** Members earlier runs of the step created. */
  get created(): number {
    return Number.parseInt(this.done.$created ?? '', 10) || 0;
  }

  /**
   * Adds what this run confirmed, what it learnt of existing members it did not finish, and the
   * members it created, to what earlier runs did. An email in neither list is forgotten (sent
   * again by the next run), except those confirmed earlier.
   */
  async save(
    confirmed: Array<{ email: string; memberId: string | null; outcome?: string }>,
    found: Array<{ email: string } & ExistingFacts> = [],
    created = 0,
  ): Promise<void> {
    for (const { email, ...facts } of found) this.done[digest(email)] = this.encode(facts);
    for (const { email, memberId, outcome } of confirmed) {
      this.done[digest(email)] = `${memberId ?? ''}${outcome === undefined ? '' : `=${outcome}`}`;
    }
    if (created > 0) this.done.$created = String(this.created + created);
    await this.store();
  }

  /**
   * Forgets the step's progress once a run finished its work: the next run with the same input
   * starts over (reads the lists again, sends nothing it finds done). The groups' checks are kept:
   * a group does not turn from custom to scope.
   */
  async finished(): Promise<void> {
    const checks = Object.entries(this.done).filter(([key]) => key.startsWith('@'));
    this.done = Object.fromEntries(checks);
    this.groups = [];
    await this.store();
  }

  private async store(): Promise<void> {
    try {
      await this.cache.set(this.key, this.done, MEMORY_TTL_SECONDS, ['auth']);
    } catch {
      // Best effort: a replay without memory converges too.
    }
  }

  /** Forgets an existing member (a look-up could not find it): the next run sends it again. */
  forget(email: string): void {
    if (this.done[digest(email)]?.startsWith('~')) delete this.done[digest(email)];
  }

  private encode({ memberId, paid, status, groups }: ExistingFacts): string {
    const read = paid === undefined ? '' : `${paidCode(paid)}${status === 'blocked' ? 'b' : 'a'}`;
    const indexes = (groups ?? [])
      .map((g) => {
        if (!this.groups.includes(g)) this.groups.push(g);
        return this.groups.indexOf(g).toString(36);
      })
      .join(',');
    if (indexes) this.done['%groups'] = this.groups.join(',');
    const tail = indexes ? `/${read}/${indexes}` : read ? `/${read}` : '';
    return `~${memberId ?? ''}${tail}`;
  }
}
