/** What every resource's routes share: the router, the run's settings, views and look-ups. */
import type { Behaviour } from '../decisions';
import type { Deliveries } from '../deliveries';
import type { Faults } from '../faults';
import type { FaultKind } from '../stats';
import { bad, forbidden, notFound, UUID, uuidParam, type Reply } from '../http';
import {
  groupsOf,
  memberCount,
  type GroupRecord,
  type MemberRecord,
  type SiteData,
  type WebhookRecord,
} from '../store';

export type Handler = (
  site: SiteData,
  params: string[],
  query: URLSearchParams,
  body: unknown,
) => Reply;

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
  /** A list endpoint (answers `{data, pagination}`), subject to the emptyPagesLoop fault. */
  list: boolean;
}

export interface RouteContext {
  behaviour: Behaviour;
  faults: Faults;
  /** Accept http:// webhook URLs on loopback (tests only; Sotion requires https). */
  settings: { allowLoopbackHttpWebhooks: boolean };
  deliveries: Deliveries;
  /** The path the API is served under (/api/v1, or /v1 as a variant): Location headers use it. */
  prefix: string;
  /** Counts an injected fault in the run's stats. */
  faulted(kind: FaultKind): void;
  route(method: string, pattern: string, handler: Handler, list?: boolean): void;
}

export const groupView = (ctx: RouteContext, site: SiteData, g: GroupRecord) => ({
  ...g,
  ...(ctx.behaviour.groupCreatedAt === 'null' ? { createdAt: null, updatedAt: null } : {}),
  memberCount: memberCount(site, g.id),
});

export const memberView = (site: SiteData, m: MemberRecord) => ({
  ...m,
  accessGroups: groupsOf(site, m.id).map((g) => ({ id: g.id, name: g.name, type: g.type })),
});

export const groupMemberView = (m: MemberRecord) => {
  const { createdAt: _c, updatedAt: _u, ...rest } = m;
  return rest;
};

export const webhookView = (w: WebhookRecord) => {
  const { secret, ...rest } = w;
  return { ...rest, secretPrefix: secret.slice(0, 10) };
};

export const findGroup = (site: SiteData, id: string) =>
  site.groups.find((g) => g.id === uuidParam(id, 'groupId')) ?? notFound('Access group');

export const findMember = (site: SiteData, id: string) =>
  site.members.find((m) => m.id === uuidParam(id, 'memberId')) ?? notFound('Member');

export const notScope = (group: GroupRecord) => {
  if (group.type === 'scope') forbidden('Scope access groups are read-only via the API.');
};

export const created = (ctx: RouteContext, body: unknown, location: string): Reply => ({
  status: ctx.behaviour.createStatus,
  body,
  headers: { location },
});

/** The groups of an `accessGroupIds` field: 404 for an unknown id, 403 for a scope group. */
export const checkGroupIds = (site: SiteData, ids: unknown): GroupRecord[] => {
  if (ids === undefined) return [];
  if (!Array.isArray(ids)) bad('accessGroupIds must be an array of UUIDs.');
  const groups = (ids as unknown[]).map((id) => {
    if (typeof id !== 'string' || !UUID.test(id)) bad('accessGroupIds must be an array of UUIDs.');
    return site.groups.find((g) => g.id === id) ?? notFound(`Access group ${String(id)}`);
  });
  if (groups.some((g) => g.type === 'scope'))
    forbidden('Scope access groups cannot be assigned through the API.');
  return groups;
};

/** Emits access-group.member.added/removed; the data follows Behaviour.membershipPayload. */
export const emitMembership = (
  ctx: RouteContext,
  site: SiteData,
  type: 'access-group.member.added' | 'access-group.member.removed',
  group: GroupRecord,
  member: MemberRecord,
) =>
  ctx.deliveries.emit(site, type, () => ({
    memberId: member.id,
    accessGroupId: group.id,
    ...(ctx.behaviour.membershipPayload === 'objects'
      ? { member: memberView(site, member), accessGroup: groupView(ctx, site, group) }
      : {}),
  }));

/** Adds a member to a group and emits access-group.member.added; false if already in it. */
export const join = (
  ctx: RouteContext,
  site: SiteData,
  group: GroupRecord,
  member: MemberRecord,
): boolean => {
  const list = (site.memberships[group.id] ??= []);
  if (list.includes(member.id)) return false;
  list.push(member.id);
  emitMembership(ctx, site, 'access-group.member.added', group, member);
  return true;
};

/** Removes a member from a group and emits access-group.member.removed; false if not in it. */
export const leave = (
  ctx: RouteContext,
  site: SiteData,
  group: GroupRecord,
  member: MemberRecord,
): boolean => {
  const list = site.memberships[group.id] ?? [];
  if (!list.includes(member.id)) return false;
  site.memberships[group.id] = list.filter((m) => m !== member.id);
  emitMembership(ctx, site, 'access-group.member.removed', group, member);
  return true;
};
