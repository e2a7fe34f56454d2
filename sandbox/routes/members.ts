/** §2.4 members: list, create, bulk create, get, update, delete, login links. */
import { randomBytes } from 'node:crypto';
import { DECISIONS } from '../decisions';
import { rejectedEmail } from '../faults';
import {
  bad,
  boolParam,
  conflict,
  forbidden,
  HttpError,
  normEmail,
  objectBody,
  optionalText,
  paginate,
} from '../http';
import { makeMember, now, type GroupRecord, type MemberRecord, type SiteData } from '../store';
import {
  checkGroupIds,
  created,
  emitMembership,
  findMember,
  memberView,
  type RouteContext,
} from './context';

const SORTS = ['createdAt', 'updatedAt', 'email', 'registeredAt', 'lastLoginAt'];

export const memberRoutes = (ctx: RouteContext): void => {
  /** The rejectEmails fault: Sotion refuses one of the emails, and with it the whole request. */
  const refuse = (emails: unknown[], where: (index: number) => string) => {
    const rejected = rejectedEmail(ctx.faults, emails);
    if (!rejected) return;
    ctx.faulted('rejectedEmail');
    throw new HttpError(
      422,
      `Invalid email${where(rejected.index)}: ${rejected.email}`,
      'validation_error',
    );
  };

  /** Creates a member in `groups`: member.created, then access-group.member.added per group. */
  const addMember = (
    site: SiteData,
    email: string,
    fields: Partial<MemberRecord>,
    groups: GroupRecord[],
  ): MemberRecord => {
    const member = makeMember(email, fields);
    site.members.push(member);
    for (const group of groups) (site.memberships[group.id] ??= []).push(member.id);
    ctx.deliveries.emit(site, 'member.created', () => memberView(site, member));
    for (const group of groups)
      emitMembership(ctx, site, 'access-group.member.added', group, member);
    return member;
  };

  ctx.route(
    'GET',
    '/members',
    (site, _p, query) => {
      let members = [...site.members];
      const email = query.get('email');
      if (email !== null) members = members.filter((m) => m.email === email.trim().toLowerCase());
      const q = query.get('q')?.toLowerCase();
      if (q)
        members = members.filter(
          (m) => m.email.includes(q) || (m.displayName ?? '').toLowerCase().includes(q),
        );
      const status = query.get('status');
      if (status !== null) {
        if (status !== 'active' && status !== 'blocked') bad('status must be active or blocked.');
        members = members.filter((m) => m.status === status);
      }
      for (const key of ['paid', 'verified'] as const) {
        const value = query.get(key);
        if (value === null) continue;
        if (value !== 'true' && value !== 'false') bad(`${key} must be 'true' or 'false'.`);
        members = members.filter((m) => m[key] === (value === 'true'));
      }
      const sort = query.get('sort') ?? 'createdAt';
      if (!SORTS.includes(sort)) bad('Unknown sort field.');
      const order = query.get('order') ?? 'desc';
      if (order !== 'asc' && order !== 'desc') bad('order must be asc or desc.');
      const key = sort as 'createdAt';
      members.sort(
        (a, b) =>
          String(a[key] ?? '').localeCompare(String(b[key] ?? '')) || a.id.localeCompare(b.id),
      );
      if (order === 'desc') members.reverse();
      return { status: 200, body: paginate(members, query) };
    },
    true,
  );
  ctx.route('POST', '/members', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    const email = normEmail(body.email);
    refuse([body.email], () => '');
    const displayName = optionalText(body, 'displayName', 255) ?? null;
    const paid = boolParam(body.paid, 'paid') ?? false;
    const groups = checkGroupIds(site, body.accessGroupIds);
    if (site.members.some((m) => m.email === email))
      conflict(`A member with email ${email} already exists.`);
    const member = addMember(site, email, { displayName, paid }, groups);
    return created(ctx, { data: memberView(site, member) }, `${ctx.prefix}/members/${member.id}`);
  });
  ctx.route('POST', '/members/bulk', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    const list = body.members;
    if (!Array.isArray(list) || list.length < 1 || list.length > DECISIONS.bulk.maxMembers) {
      bad(`members must be an array of 1 to ${DECISIONS.bulk.maxMembers} members.`);
    }
    const groups = checkGroupIds(site, body.accessGroupIds);
    const items = (list as unknown[]).map((item) =>
      typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {},
    );
    refuse(
      items.map((item) => item.email),
      (index) => ` at members[${index}]`,
    );
    // The site's emails, once per request (not a scan of every member per item).
    const taken = new Set(site.members.map((m) => m.email));
    const data = items.map((submitted) => {
      const rawEmail = typeof submitted.email === 'string' ? submitted.email : '';
      try {
        const email = normEmail(submitted.email);
        const displayName = optionalText(submitted, 'displayName', 255) ?? null;
        const paid = boolParam(submitted.paid, 'paid') ?? false;
        if (taken.has(email)) {
          return {
            email: rawEmail,
            status: 'conflict',
            error: { code: 'conflict', message: 'A member with this email already exists.' },
          };
        }
        const member = addMember(site, email, { displayName, paid }, groups);
        taken.add(email);
        return { email: rawEmail, status: 'created', member };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { email: rawEmail, status: 'error', error: { code: 'validation_error', message } };
      }
    });
    const createdCount = data.filter((d) => d.status === 'created').length;
    return {
      status: 207,
      body: {
        data,
        summary: { total: data.length, created: createdCount, failed: data.length - createdCount },
      },
    };
  });
  ctx.route('GET', '/members/:id', (site, [id]) => ({
    status: 200,
    body: { data: memberView(site, findMember(site, id!)) },
  }));
  ctx.route('PATCH', '/members/:id', (site, [id], _q, raw) => {
    const member = findMember(site, id!);
    const body = objectBody(raw);
    if (!['email', 'displayName', 'paid', 'status'].some((k) => body[k] !== undefined))
      bad('Provide at least one field.');
    if (body.email !== undefined) {
      const email = normEmail(body.email);
      refuse([body.email], () => '');
      if (site.members.some((m) => m !== member && m.email === email))
        conflict(`A member with email ${email} already exists.`);
      member.email = email;
    }
    const displayName = optionalText(body, 'displayName', 255);
    if (displayName !== undefined) member.displayName = displayName;
    const paid = boolParam(body.paid, 'paid');
    if (paid !== undefined) member.paid = paid;
    if (body.status !== undefined) {
      if (body.status !== 'active' && body.status !== 'blocked')
        bad('status must be active or blocked.');
      member.status = body.status as MemberRecord['status'];
    }
    member.updatedAt = now();
    ctx.deliveries.emit(site, 'member.updated', memberView(site, member));
    return { status: 200, body: { data: memberView(site, member) } };
  });
  ctx.route('DELETE', '/members/:id', (site, [id]) => {
    const member = findMember(site, id!);
    site.members = site.members.filter((m) => m !== member);
    for (const groupId of Object.keys(site.memberships)) {
      site.memberships[groupId] = (site.memberships[groupId] ?? []).filter((m) => m !== member.id);
    }
    ctx.deliveries.emit(site, 'member.deleted', { id: member.id, email: member.email });
    return { status: 204 };
  });
  ctx.route('POST', '/members/:id/login-links', (site, [id], _q, raw) => {
    const member = findMember(site, id!);
    const body = raw === undefined ? {} : objectBody(raw);
    const sendEmail = boolParam(body.sendEmail, 'sendEmail') ?? true;
    if (member.status === 'blocked') forbidden('Blocked members cannot get login links.');
    const minuteAgo = Date.now() - 60_000;
    site.loginLinks = site.loginLinks.filter((l) => l.at > minuteAgo);
    const { perMemberPerMinute, perSitePerMinute } = DECISIONS.loginLinkLimits;
    if (
      site.loginLinks.filter((l) => l.memberId === member.id).length >= perMemberPerMinute ||
      site.loginLinks.length >= perSitePerMinute
    ) {
      throw new HttpError(429, 'Too many login links; try again in a minute.', 'rate_limited', {
        'retry-after': '60',
      });
    }
    // Only the time is kept: the link is a credential, never stored or logged by the sandbox.
    site.loginLinks.push({ memberId: member.id, at: Date.now() });
    const data = sendEmail
      ? { memberId: member.id, status: 'sent' }
      : {
          memberId: member.id,
          status: 'created',
          url: `https://${site.site.domain ?? `${site.site.slug}.sotion.site`}/_auth?token=${randomBytes(16).toString('hex')}`,
          expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
        };
    return {
      status: ctx.behaviour.loginLinkStatus,
      body: { data },
      headers: { location: `${ctx.prefix}/members/${member.id}/login-links` },
    };
  });
};
