import type { Member, MemberListItem } from '../../src/api/schemas';
import { memberOutput } from '../../src/zap/samples';
import { group, uuid } from '../helpers';

/** A member as GET /members lists it (no access groups). */
export const listed = (n: number, over: Partial<MemberListItem> = {}): MemberListItem => ({
  id: uuid(1000 + n),
  email: `member${n}@example.com`,
  displayName: null,
  status: 'active',
  verified: false,
  paid: false,
  registeredAt: null,
  lastLoginAt: null,
  createdAt: '2026-05-04T09:20:00.000Z',
  updatedAt: '2026-05-04T09:20:00.000Z',
  ...over,
});

/** A member as GET/POST/PATCH /members/{id} answer it: with its access groups. */
export const full = (n: number, groups: number[] = [], over: Partial<Member> = {}): Member => ({
  ...listed(n),
  accessGroups: groups.map((g) => ({ id: group(g).id, name: group(g).name })),
  ...over,
});

export const out = (member: Member) => memberOutput(member);
