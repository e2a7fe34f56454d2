/** §2.2 access groups: list, create, get, update, delete. */
import { bad, conflict, groupName, objectBody, optionalText, paginate } from '../http';
import { makeGroup, now, type GroupRecord, type SiteData } from '../store';
import { created, findGroup, groupView, notScope, type RouteContext } from './context';

const nameTaken = (site: SiteData, name: string, except?: string) =>
  site.groups.some((g) => g.id !== except && g.name.trim().toLowerCase() === name.toLowerCase());

export const accessGroupRoutes = (ctx: RouteContext): void => {
  const orderedGroups = (site: SiteData): GroupRecord[] => {
    const groups = [...site.groups];
    if (ctx.behaviour.groupOrder === 'newest') return groups.reverse();
    if (ctx.behaviour.groupOrder === 'name')
      return groups.sort((a, b) => a.name.localeCompare(b.name));
    return groups;
  };

  ctx.route(
    'GET',
    '/access-groups',
    (site, _p, query) => {
      const page = paginate(orderedGroups(site), query);
      return {
        status: 200,
        body: { ...page, data: page.data.map((g) => groupView(ctx, site, g)) },
      };
    },
    true,
  );
  ctx.route('POST', '/access-groups', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    const name = groupName(body.name);
    const description = optionalText(body, 'description', 500) ?? null;
    if (nameTaken(site, name)) conflict(`An access group named "${name}" already exists.`);
    const group = makeGroup(name, 'custom', description);
    site.groups.push(group);
    ctx.deliveries.emit(site, 'access-group.created', groupView(ctx, site, group));
    return created(
      ctx,
      { data: groupView(ctx, site, group) },
      `${ctx.prefix}/access-groups/${group.id}`,
    );
  });
  ctx.route('GET', '/access-groups/:id', (site, [id]) => ({
    status: 200,
    body: { data: groupView(ctx, site, findGroup(site, id!)) },
  }));
  ctx.route('PATCH', '/access-groups/:id', (site, [id], _q, raw) => {
    const group = findGroup(site, id!);
    const body = objectBody(raw);
    notScope(group);
    if (body.name === undefined && body.description === undefined)
      bad('Provide name or description.');
    const name = body.name === undefined ? undefined : groupName(body.name);
    const description = optionalText(body, 'description', 500);
    if (name !== undefined && nameTaken(site, name, group.id))
      conflict(`An access group named "${name}" already exists.`);
    if (name !== undefined) group.name = name;
    if (description !== undefined) group.description = description;
    group.updatedAt = now();
    ctx.deliveries.emit(site, 'access-group.updated', groupView(ctx, site, group));
    return { status: 200, body: { data: groupView(ctx, site, group) } };
  });
  ctx.route('DELETE', '/access-groups/:id', (site, [id]) => {
    const group = findGroup(site, id!);
    notScope(group);
    site.groups = site.groups.filter((g) => g !== group);
    delete site.memberships[group.id];
    ctx.deliveries.emit(site, 'access-group.deleted', { id: group.id, name: group.name });
    return { status: 204 };
  });
};
