/** §2.3 group members: list, add, remove. */
import { conflict, notFound, objectBody, paginate, uuidParam } from '../http';
import {
  created,
  findGroup,
  findMember,
  groupMemberView,
  join,
  leave,
  memberView,
  notScope,
  type RouteContext,
} from './context';

export const groupMemberRoutes = (ctx: RouteContext): void => {
  ctx.route(
    'GET',
    '/access-groups/:id/members',
    (site, [id], query) => {
      const group = findGroup(site, id!);
      // Page over the membership ids, then resolve only that page (linear, not quadratic, in the
      // group's size: a 10,000-member group is read in 100 pages by the bulk replay benchmark).
      const page = paginate(
        (site.memberships[group.id] ?? []).map((mid) => ({ id: mid })),
        query,
      );
      const byId = new Map(site.members.map((m) => [m.id, m]));
      const data = page.data.flatMap(({ id: mid }) => {
        const member = byId.get(mid);
        return member ? [groupMemberView(member)] : [];
      });
      return { status: 200, body: { ...page, data } };
    },
    true,
  );
  ctx.route('POST', '/access-groups/:id/members', (site, [id], _q, raw) => {
    const group = findGroup(site, id!);
    const body = objectBody(raw);
    notScope(group);
    const member = findMember(
      site,
      uuidParam(typeof body.memberId === 'string' ? body.memberId : undefined, 'memberId'),
    );
    if (!join(ctx, site, group, member)) conflict('The member is already in this access group.');
    return created(
      ctx,
      { data: memberView(site, member) },
      `${ctx.prefix}/access-groups/${group.id}/members/${member.id}`,
    );
  });
  ctx.route('DELETE', '/access-groups/:id/members/:memberId', (site, [id, memberId]) => {
    const group = findGroup(site, id!);
    notScope(group);
    const member = findMember(site, memberId!);
    if (!leave(ctx, site, group, member) && ctx.behaviour.removeNotInGroup === 404)
      notFound('Membership');
    return { status: 204 };
  });
};
