import type { Member, MemberListItem } from '../src/api/schemas';
import { group, uuid } from './helpers';

/** A member as GET /members lists it (no access groups). */
export const listedMember = (n: number, over: Partial<MemberListItem> = {}): MemberListItem => ({
  id: uuid(1000 + n),
  email: `member${n}@example.com`,
  displayName: `Member ${n}`,
  status: 'active',
  verified: false,
  paid: false,
  registeredAt: null,
  lastLoginAt: null,
  createdAt: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
  updatedAt: null,
  ...over,
});

/** A member as GET /members/{id} answers: with its access groups (id and name). */
export const fullMember = (
  n: number,
  groups: number[] = [],
  over: Partial<Member> = {},
): Member => ({
  ...listedMember(n),
  accessGroups: groups.map((g) => ({ id: group(g).id, name: group(g).name })),
  ...over,
});

/**
 * What the operation tests in test/creates pass over the defaults: no display name, and one fixed
 * time stamp for created and updated.
 */
export const NAMELESS_FIXED_TIME = {
  displayName: null,
  createdAt: '2026-05-04T09:20:00.000Z',
  updatedAt: '2026-05-04T09:20:00.000Z',
} satisfies Partial<MemberListItem>;
