import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DECISIONS, DEFAULT_BEHAVIOUR, type Behaviour } from './decisions';
import {
  EVENTS,
  groupsOf,
  makeGroup,
  makeMember,
  memberCount,
  now,
  Store,
  type GroupRecord,
  type MemberRecord,
  type SiteData,
  type WebhookRecord,
} from './store';

/** Faults a run can switch on: by flags, environment or POST /__sandbox/config. */
export interface Faults {
  /** Added to every API response, plus up to `jitterMs` at random. */
  latencyMs: number;
  jitterMs: number;
  /** Share (0–1) of API requests answered 503 before anything is done. */
  failRate: number;
  /** Share of API requests whose connection is reset after the work was done (lost answers). */
  resetRate: number;
  /** Share of API requests answered with a truncated JSON body after the work was done. */
  malformedRate: number;
  /** Share of API requests answered only after `slowMs` (past a client's deadline). */
  slowRate: number;
  slowMs: number;
  /** The next N API requests are answered 429, with a reset `throttleResetSeconds` ahead. */
  throttleBurst: number;
  throttleResetSeconds: number;
  /** Seed of the random choices, so a faulty run can be repeated. */
  seed: number;
}

export const NO_FAULTS: Faults = {
  latencyMs: 0,
  jitterMs: 0,
  failRate: 0,
  resetRate: 0,
  malformedRate: 0,
  slowRate: 0,
  slowMs: 0,
  throttleBurst: 0,
  throttleResetSeconds: 2,
  seed: 1,
};

export interface SandboxOptions {
  port?: number;
  host?: string;
  store?: Store;
  behaviour?: Partial<Behaviour>;
  faults?: Partial<Faults>;
  /** Requests per key per window (DECISIONS.rateLimit). */
  rateLimit?: number;
  rateWindowSeconds?: number;
  /** Delays between webhook delivery attempts. */
  webhookRetryDelaysMs?: number[];
  /** Accept http:// webhook URLs on loopback (tests only; Sotion requires https). */
  allowLoopbackHttpWebhooks?: boolean;
}

export interface Stats {
  total: number;
  byRoute: Record<string, number>;
  faults: Record<'fail' | 'reset' | 'malformed' | 'slow' | 'throttle' | 'rateLimited', number>;
  deliveries: Array<{ webhookId: string; event: string; attempts: number; status: number | null }>;
}

export interface Sandbox {
  /** The API base URL, e.g. http://127.0.0.1:4010/api/v1. */
  url: string;
  origin: string;
  port: number;
  store: Store;
  behaviour: Behaviour;
  faults: Faults;
  stats: Stats;
  resetStats(): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/u;

const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const bad = (message: string): never => {
  throw new HttpError(DECISIONS.validationStatus, message, 'validation_error');
};
const notFound = (what: string): never => {
  throw new HttpError(DECISIONS.unknownIdStatus, `${what} not found.`, 'not_found');
};
const conflict = (message: string): never => {
  throw new HttpError(409, message, 'conflict');
};
const forbidden = (message: string): never => {
  throw new HttpError(403, message, 'forbidden');
};

const uuidParam = (value: string | undefined, name: string): string => {
  if (!value || !UUID.test(value)) bad(`${name} must be a UUID.`);
  return value as string;
};

const objectBody = (body: unknown): Record<string, unknown> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    bad('Body must be a JSON object.');
  return body as Record<string, unknown>;
};

const optionalText = (body: Record<string, unknown>, key: string, max: number, nullable = true) => {
  const value = body[key];
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== 'string') bad(`${key} must be a string.`);
  if ([...(value as string)].length > max) bad(`${key} must be at most ${max} characters.`);
  return value as string;
};

const groupName = (value: unknown): string => {
  if (typeof value !== 'string') bad('name is required and must be a string.');
  const name = (value as string).trim();
  if (name.length < 1 || [...name].length > 100) bad('name must be 1-100 characters.');
  return name;
};

const normEmail = (value: unknown, key = 'email'): string => {
  if (typeof value !== 'string') bad(`${key} is required and must be a string.`);
  const email = (value as string).trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 254) bad(`${key} must be a valid email address.`);
  return email;
};

const boolParam = (value: unknown, key: string): boolean | undefined => {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') bad(`${key} must be a boolean.`);
  return value as boolean;
};

const groupView = (site: SiteData, g: GroupRecord) => ({
  ...g,
  memberCount: memberCount(site, g.id),
});
const memberView = (site: SiteData, m: MemberRecord) => ({
  ...m,
  accessGroups: groupsOf(site, m.id).map((g) => ({ id: g.id, name: g.name, type: g.type })),
});
const groupMemberView = (m: MemberRecord) => {
  const { createdAt: _c, updatedAt: _u, ...rest } = m;
  return rest;
};
const webhookView = (w: WebhookRecord) => {
  const { secret, ...rest } = w;
  return { ...rest, secretPrefix: secret.slice(0, 10) };
};

const paginate = <T extends { id: string }>(items: T[], query: URLSearchParams) => {
  const rawLimit = query.get('limit');
  let limit = 50;
  if (rawLimit !== null) {
    limit = Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      bad('limit must be an integer from 1 to 100.');
  }
  let start = 0;
  const after = query.get('after');
  if (after !== null) {
    uuidParam(after, 'after');
    const index = items.findIndex((item) => item.id === after);
    if (index < 0) bad('Unknown cursor: after must be a nextCursor from a previous page.');
    start = index + 1;
  }
  const data = items.slice(start, start + limit);
  const hasMore = start + limit < items.length;
  return { data, pagination: { hasMore, nextCursor: hasMore ? data[data.length - 1]!.id : null } };
};

export const startSandbox = async (options: SandboxOptions = {}): Promise<Sandbox> => {
  const store = options.store ?? new Store();
  const behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const faults: Faults = { ...NO_FAULTS, ...options.faults };
  let random = mulberry32(faults.seed);
  let rateLimit = options.rateLimit ?? DECISIONS.rateLimit.limit;
  const windowSeconds = options.rateWindowSeconds ?? DECISIONS.rateLimit.windowSeconds;
  const retryDelays = options.webhookRetryDelaysMs ?? [1000, 2000, 4000];
  const buckets = new Map<string, { resetAt: number; used: number }>();
  let throttleResetAt = 0;
  const stats: Stats = {
    total: 0,
    byRoute: {},
    faults: { fail: 0, reset: 0, malformed: 0, slow: 0, throttle: 0, rateLimited: 0 },
    deliveries: [],
  };

  const errorBody = (message: string, code: string) =>
    behaviour.errorShape === 'string' ? { error: message } : { error: { code, message } };

  // ---- webhook deliveries -------------------------------------------------------------------
  const pending = new Set<Promise<void>>();
  const emit = (site: SiteData, type: string, data: unknown) => {
    for (const hook of site.webhooks.filter((w) => w.active && w.events.includes(type))) {
      const envelope = {
        id: randomUUID(),
        type,
        timestamp: now(),
        version: '1',
        siteId: site.site.id,
        data,
      };
      const raw = JSON.stringify(envelope);
      const signature = `sha256=${createHmac('sha256', hook.secret).update(raw).digest('hex')}`;
      const record = {
        webhookId: hook.id,
        event: type,
        attempts: 0,
        status: null as number | null,
      };
      stats.deliveries.push(record);
      const deliver = async () => {
        for (let attempt = 0; attempt <= retryDelays.length; attempt += 1) {
          record.attempts += 1;
          try {
            const response = await fetch(hook.url, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'x-webhook-signature': signature,
                'x-webhook-event': type,
                'x-webhook-id': envelope.id,
                'x-webhook-delivery': randomUUID(),
              },
              body: raw,
              signal: AbortSignal.timeout(5000),
            });
            record.status = response.status;
            if (response.ok) return;
          } catch {
            record.status = null;
          }
          const delay = retryDelays[attempt];
          if (delay === undefined) return;
          await sleep(delay);
        }
      };
      const promise = deliver().finally(() => pending.delete(promise));
      pending.add(promise);
    }
  };

  // ---- the API --------------------------------------------------------------------------------
  const orderedGroups = (site: SiteData): GroupRecord[] => {
    const groups = [...site.groups];
    if (behaviour.groupOrder === 'newest') return groups.reverse();
    if (behaviour.groupOrder === 'name') return groups.sort((a, b) => a.name.localeCompare(b.name));
    return groups;
  };
  const findGroup = (site: SiteData, id: string) =>
    site.groups.find((g) => g.id === uuidParam(id, 'groupId')) ?? notFound('Access group');
  const findMember = (site: SiteData, id: string) =>
    site.members.find((m) => m.id === uuidParam(id, 'memberId')) ?? notFound('Member');
  const nameTaken = (site: SiteData, name: string, except?: string) =>
    site.groups.some((g) => g.id !== except && g.name.trim().toLowerCase() === name.toLowerCase());
  const created = (body: unknown, location: string): Reply => ({
    status: behaviour.createStatus,
    body,
    headers: { location },
  });
  const checkGroupIds = (site: SiteData, ids: unknown): GroupRecord[] => {
    if (ids === undefined) return [];
    if (!Array.isArray(ids)) bad('accessGroupIds must be an array of UUIDs.');
    const groups = (ids as unknown[]).map((id) => {
      if (typeof id !== 'string' || !UUID.test(id))
        bad('accessGroupIds must be an array of UUIDs.');
      return site.groups.find((g) => g.id === id) ?? notFound(`Access group ${String(id)}`);
    });
    if (groups.some((g) => g.type === 'scope'))
      forbidden('Scope access groups cannot be assigned through the API.');
    return groups;
  };
  const join = (site: SiteData, group: GroupRecord, member: MemberRecord): boolean => {
    const list = (site.memberships[group.id] ??= []);
    if (list.includes(member.id)) return false;
    list.push(member.id);
    emit(site, 'access-group.member.added', { accessGroup: groupView(site, group), member });
    return true;
  };

  type Handler = (site: SiteData, params: string[], query: URLSearchParams, body: unknown) => Reply;
  const routes: Array<[string, RegExp, Handler]> = [];
  const route = (method: string, pattern: string, handler: Handler) =>
    routes.push([method, new RegExp(`^${pattern.replace(/:\w+/g, '([^/]+)')}$`), handler]);
  const P = DECISIONS.basePath;

  route('GET', '/site', (site) => ({ status: 200, body: { data: site.site } }));

  route('GET', '/access-groups', (site, _p, query) => {
    const page = paginate(orderedGroups(site), query);
    return { status: 200, body: { ...page, data: page.data.map((g) => groupView(site, g)) } };
  });
  route('POST', '/access-groups', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    const name = groupName(body.name);
    const description = optionalText(body, 'description', 500) ?? null;
    if (nameTaken(site, name)) conflict(`An access group named "${name}" already exists.`);
    const group = makeGroup(name, 'custom', description);
    site.groups.push(group);
    emit(site, 'access-group.created', groupView(site, group));
    return created({ data: groupView(site, group) }, `${P}/access-groups/${group.id}`);
  });
  route('GET', '/access-groups/:id', (site, [id]) => ({
    status: 200,
    body: { data: groupView(site, findGroup(site, id!)) },
  }));
  route('PATCH', '/access-groups/:id', (site, [id], _q, raw) => {
    const group = findGroup(site, id!);
    const body = objectBody(raw);
    if (group.type === 'scope') forbidden('Scope access groups are read-only via the API.');
    if (body.name === undefined && body.description === undefined)
      bad('Provide name or description.');
    const name = body.name === undefined ? undefined : groupName(body.name);
    const description = optionalText(body, 'description', 500);
    if (name !== undefined && nameTaken(site, name, group.id))
      conflict(`An access group named "${name}" already exists.`);
    if (name !== undefined) group.name = name;
    if (description !== undefined) group.description = description;
    group.updatedAt = now();
    emit(site, 'access-group.updated', groupView(site, group));
    return { status: 200, body: { data: groupView(site, group) } };
  });
  route('DELETE', '/access-groups/:id', (site, [id]) => {
    const group = findGroup(site, id!);
    if (group.type === 'scope') forbidden('Scope access groups are read-only via the API.');
    site.groups = site.groups.filter((g) => g !== group);
    delete site.memberships[group.id];
    emit(site, 'access-group.deleted', { id: group.id, name: group.name });
    return { status: 204 };
  });

  route('GET', '/access-groups/:id/members', (site, [id], query) => {
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
  });
  route('POST', '/access-groups/:id/members', (site, [id], _q, raw) => {
    const group = findGroup(site, id!);
    const body = objectBody(raw);
    if (group.type === 'scope') forbidden('Scope access groups are read-only via the API.');
    const member = findMember(
      site,
      uuidParam(typeof body.memberId === 'string' ? body.memberId : undefined, 'memberId'),
    );
    if (!join(site, group, member)) conflict('The member is already in this access group.');
    return created(
      { data: memberView(site, member) },
      `${P}/access-groups/${group.id}/members/${member.id}`,
    );
  });
  route('DELETE', '/access-groups/:id/members/:memberId', (site, [id, memberId]) => {
    const group = findGroup(site, id!);
    if (group.type === 'scope') forbidden('Scope access groups are read-only via the API.');
    const member = findMember(site, memberId!);
    const list = site.memberships[group.id] ?? [];
    if (!list.includes(member.id)) notFound('Membership');
    site.memberships[group.id] = list.filter((m) => m !== member.id);
    emit(site, 'access-group.member.removed', { accessGroup: groupView(site, group), member });
    return { status: 204 };
  });

  route('GET', '/members', (site, _p, query) => {
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
    if (!['createdAt', 'updatedAt', 'email', 'registeredAt', 'lastLoginAt'].includes(sort))
      bad('Unknown sort field.');
    const order = query.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') bad('order must be asc or desc.');
    const key = sort as 'createdAt';
    members.sort(
      (a, b) =>
        String(a[key] ?? '').localeCompare(String(b[key] ?? '')) || a.id.localeCompare(b.id),
    );
    if (order === 'desc') members.reverse();
    return { status: 200, body: paginate(members, query) };
  });
  route('POST', '/members', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    const email = normEmail(body.email);
    const displayName = optionalText(body, 'displayName', 255) ?? null;
    const paid = boolParam(body.paid, 'paid') ?? false;
    const groups = checkGroupIds(site, body.accessGroupIds);
    if (site.members.some((m) => m.email === email))
      conflict(`A member with email ${email} already exists.`);
    const member = makeMember(email, { displayName, paid });
    site.members.push(member);
    emit(site, 'member.created', member);
    for (const group of groups) join(site, group, member);
    return created({ data: memberView(site, member) }, `${P}/members/${member.id}`);
  });
  route('POST', '/members/bulk', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    const list = body.members;
    if (!Array.isArray(list) || list.length < 1 || list.length > DECISIONS.bulk.maxMembers) {
      bad(`members must be an array of 1 to ${DECISIONS.bulk.maxMembers} members.`);
    }
    const groups = checkGroupIds(site, body.accessGroupIds);
    const data = (list as unknown[]).map((item) => {
      const submitted =
        typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
      const rawEmail = typeof submitted.email === 'string' ? submitted.email : '';
      try {
        const email = normEmail(submitted.email);
        const displayName = optionalText(submitted, 'displayName', 255) ?? null;
        const paid = boolParam(submitted.paid, 'paid') ?? false;
        if (site.members.some((m) => m.email === email)) {
          return {
            email: rawEmail,
            status: 'conflict',
            error: { code: 'conflict', message: 'A member with this email already exists.' },
          };
        }
        const member = makeMember(email, { displayName, paid });
        site.members.push(member);
        emit(site, 'member.created', member);
        for (const group of groups) join(site, group, member);
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
  route('GET', '/members/:id', (site, [id]) => ({
    status: 200,
    body: { data: memberView(site, findMember(site, id!)) },
  }));
  route('PATCH', '/members/:id', (site, [id], _q, raw) => {
    const member = findMember(site, id!);
    const body = objectBody(raw);
    if (!['email', 'displayName', 'paid', 'status'].some((k) => body[k] !== undefined))
      bad('Provide at least one field.');
    if (body.email !== undefined) {
      const email = normEmail(body.email);
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
    emit(site, 'member.updated', member);
    return { status: 200, body: { data: memberView(site, member) } };
  });
  route('DELETE', '/members/:id', (site, [id]) => {
    const member = findMember(site, id!);
    site.members = site.members.filter((m) => m !== member);
    for (const groupId of Object.keys(site.memberships)) {
      site.memberships[groupId] = (site.memberships[groupId] ?? []).filter((m) => m !== member.id);
    }
    emit(site, 'member.deleted', { id: member.id, email: member.email });
    return { status: 204 };
  });
  route('POST', '/members/:id/login-links', (site, [id], _q, raw) => {
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
      status: DECISIONS.loginLinkStatus,
      body: { data },
      headers: { location: `${P}/members/${member.id}/login-links` },
    };
  });

  route('GET', '/webhooks', (site, _p, query) => {
    let hooks = [...site.webhooks];
    const event = query.get('event');
    if (event !== null) hooks = hooks.filter((w) => w.events.includes(event));
    const managedBy = query.get('managedBy');
    if (managedBy !== null) hooks = hooks.filter((w) => w.managedBy === managedBy);
    const page = paginate(hooks, query);
    return { status: 200, body: { ...page, data: page.data.map(webhookView) } };
  });
  route('POST', '/webhooks', (site, _p, _q, raw) => {
    const body = objectBody(raw);
    if (typeof body.url !== 'string') bad('url is required.');
    let url: URL;
    try {
      url = new URL(body.url as string);
    } catch {
      return bad('url must be a valid URL.');
    }
    const loopbackHttp =
      options.allowLoopbackHttpWebhooks &&
      url.protocol === 'http:' &&
      ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !loopbackHttp) {
      throw new HttpError(422, 'url must start with https://', 'validation_error');
    }
    const events = body.events;
    if (
      !Array.isArray(events) ||
      events.length < 1 ||
      events.some((e) => !(EVENTS as readonly unknown[]).includes(e))
    ) {
      bad(`events must be a non-empty array of: ${EVENTS.join(', ')}.`);
    }
    if (site.webhooks.filter((w) => w.active).length >= DECISIONS.webhooks.maxActive) {
      throw new HttpError(
        DECISIONS.webhooks.limitStatus,
        'This site already has 10 active webhook subscriptions.',
        'limit_reached',
      );
    }
    const managedBy = optionalText(body, 'managedBy', 100) ?? null;
    const name =
      optionalText(body, 'name', 200) ??
      `${managedBy ?? 'dashboard'}: ${(events as string[]).join(', ')}`;
    const at = now();
    const hook: WebhookRecord = {
      id: randomUUID(),
      name,
      url: url.toString(),
      events: events as string[],
      active: true,
      secret: `whsec_${randomBytes(24).toString('hex')}`,
      managedBy,
      createdAt: at,
      updatedAt: at,
    };
    site.webhooks.push(hook);
    return created(
      { data: { ...webhookView(hook), secret: hook.secret } },
      `${P}/webhooks/${hook.id}`,
    );
  });
  route('GET', '/webhooks/:id', (site, [id]) => {
    const hook =
      site.webhooks.find((w) => w.id === uuidParam(id, 'webhookId')) ?? notFound('Webhook');
    return { status: 200, body: { data: webhookView(hook) } };
  });
  route('DELETE', '/webhooks/:id', (site, [id]) => {
    const hook =
      site.webhooks.find((w) => w.id === uuidParam(id, 'webhookId')) ?? notFound('Webhook');
    site.webhooks = site.webhooks.filter((w) => w !== hook);
    return { status: 204 };
  });

  // ---- control endpoint (a reserved path Sotion would never serve) ------------------------------
  const control = async (
    method: string,
    path: string,
    body: Record<string, unknown>,
  ): Promise<Reply> => {
    if (method === 'GET' && path === '/health') return { status: 200, body: { ok: true } };
    if (method === 'GET' && path === '/state') return { status: 200, body: store.data };
    if (method === 'GET' && path === '/stats') return { status: 200, body: stats };
    if (method === 'GET' && path === '/config')
      return { status: 200, body: { behaviour, faults, rateLimit } };
    if (method === 'POST' && path === '/stats/reset') {
      resetStats();
      return { status: 200, body: stats };
    }
    if (method === 'POST' && path === '/config') {
      Object.assign(behaviour, body.behaviour ?? {});
      Object.assign(faults, body.faults ?? {});
      if (typeof body.rateLimit === 'number') rateLimit = body.rateLimit;
      if (body.faults && typeof (body.faults as Faults).seed === 'number')
        random = mulberry32(faults.seed);
      buckets.clear();
      return { status: 200, body: { behaviour, faults, rateLimit } };
    }
    if (method === 'POST' && path === '/reset') {
      store.data = body.empty ? { sites: [] } : new Store().data;
      buckets.clear();
      return { status: 200, body: { sites: store.data.sites.length } };
    }
    if (method === 'POST' && path === '/sites') {
      const { site, key } = store.addSite(
        String(body.title ?? 'Sandbox Site'),
        String(body.slug ?? 'sandbox-site'),
      );
      return { status: 201, body: { siteId: site.site.id, key } };
    }
    if (method === 'POST' && path === '/keys/revoke') {
      for (const site of store.data.sites)
        for (const k of site.keys) if (k.key === body.key) k.revoked = true;
      return { status: 200, body: { revoked: body.key } };
    }
    if (method === 'POST' && path === '/save') {
      store.save(String(body.file));
      return { status: 200, body: { saved: body.file } };
    }
    if (method === 'POST' && path === '/load') {
      store.data = Store.load(String(body.file)).data;
      return { status: 200, body: { loaded: body.file } };
    }
    if (method === 'POST' && path === '/seed') {
      // Bulk fixtures for tests and benchmarks: { key, groups?: n, members?: [emails] }.
      const site = store.siteForKey(String(body.key)) ?? notFound('Site for that key');
      for (let i = 0; i < Number(body.groups ?? 0); i += 1)
        site.groups.push(makeGroup(`Seeded Group ${site.groups.length + 1}`, 'custom'));
      for (const email of (body.members as string[] | undefined) ?? [])
        site.members.push(makeMember(email));
      return { status: 200, body: { groups: site.groups.length, members: site.members.length } };
    }
    return { status: 404, body: { error: 'Unknown sandbox control path.' } };
  };

  // ---- HTTP -------------------------------------------------------------------------------------
  const rateHeaders = (key: string): { headers: Record<string, string>; exceeded: boolean } => {
    const nowMs = Date.now();
    let bucket = buckets.get(key);
    if (!bucket || bucket.resetAt <= nowMs) {
      bucket = { resetAt: nowMs + windowSeconds * 1000, used: 0 };
      buckets.set(key, bucket);
    }
    bucket.used += 1;
    const exceeded = bucket.used > rateLimit;
    return {
      exceeded,
      headers: {
        'x-ratelimit-limit': String(rateLimit),
        'x-ratelimit-remaining': String(Math.max(0, rateLimit - bucket.used)),
        'x-ratelimit-reset': String(Math.ceil(bucket.resetAt / 1000)),
      },
    };
  };

  const send = (
    res: ServerResponse,
    reply: Reply,
    extra: Record<string, string>,
    malformed = false,
  ) => {
    const headers: Record<string, string> = { ...extra, ...reply.headers };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(reply.body);
    headers['content-type'] = 'application/json';
    res.writeHead(reply.status, headers);
    res.end(malformed ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text);
  };

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    const rawBody = await readBody(req);
    let body: unknown = undefined;
    const requestId = randomUUID();
    const base: Record<string, string> = { 'x-request-id': requestId };
    if (rawBody.trim()) {
      try {
        body = JSON.parse(rawBody);
      } catch {
        send(
          res,
          { status: 400, body: errorBody('Body is not valid JSON.', 'invalid_json') },
          base,
        );
        return;
      }
    }
    if (url.pathname.startsWith('/__sandbox/')) {
      try {
        send(
          res,
          await control(
            method,
            url.pathname.slice('/__sandbox'.length),
            (body ?? {}) as Record<string, unknown>,
          ),
          base,
        );
      } catch (error) {
        const status = error instanceof HttpError ? error.status : 500;
        send(
          res,
          { status, body: { error: error instanceof Error ? error.message : String(error) } },
          base,
        );
      }
      return;
    }
    stats.total += 1;
    if (faults.latencyMs || faults.jitterMs)
      await sleep(faults.latencyMs + random() * faults.jitterMs);

    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const { headers: rate, exceeded } = rateHeaders(key || 'anonymous');
    const headers = { ...base, ...rate };
    const fail = (
      status: number,
      message: string,
      code: string,
      extra: Record<string, string> = {},
    ) => send(res, { status, body: errorBody(message, code), headers: extra }, headers);

    if (!url.pathname.startsWith(`${DECISIONS.basePath}/`))
      return fail(404, 'Not found.', 'not_found');
    const path = url.pathname.slice(DECISIONS.basePath.length);
    const match = routes
      .map(([m, re, handler]) => ({ m, handler, params: re.exec(path) }))
      .find((r) => r.params && r.m === method);
    const routeKey = `${method} ${path.replace(/[0-9a-f-]{36}/gi, ':id')}`;
    stats.byRoute[routeKey] = (stats.byRoute[routeKey] ?? 0) + 1;

    if (!key) return fail(DECISIONS.authFailureStatus, DECISIONS.missingKeyMessage, 'unauthorized');
    const site = store.siteForKey(key);
    if (!site)
      return fail(DECISIONS.authFailureStatus, DECISIONS.invalidKeyMessage, 'unauthorized');

    const throttled = (reason: 'throttle' | 'rateLimited', resetAt: number) => {
      stats.faults[reason] += 1;
      const seconds = Math.max(0, Math.ceil((resetAt - Date.now()) / 1000));
      const extra: Record<string, string> = {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
      };
      if (behaviour.throttle === 'retry-after') extra['retry-after'] = String(seconds);
      return fail(429, 'Too many requests.', 'rate_limited', extra);
    };
    if (faults.throttleBurst > 0) {
      faults.throttleBurst -= 1;
      if (throttleResetAt < Date.now())
        throttleResetAt = Date.now() + faults.throttleResetSeconds * 1000;
      return throttled('throttle', throttleResetAt);
    }
    if (exceeded) return throttled('rateLimited', Number(rate['x-ratelimit-reset']) * 1000);
    if (faults.failRate && random() < faults.failRate) {
      stats.faults.fail += 1;
      return fail(503, 'Service temporarily unavailable.', 'unavailable');
    }
    if (!match) return fail(404, 'Not found.', 'not_found');

    let reply: Reply;
    try {
      reply = match.handler(
        site,
        match.params!.slice(1).map(decodeURIComponent),
        url.searchParams,
        body,
      );
    } catch (error) {
      if (error instanceof HttpError)
        return fail(error.status, error.message, error.code, error.headers);
      return fail(500, 'Internal error.', 'internal');
    }
    // Faults after the work was done: the client cannot know whether it happened.
    if (faults.resetRate && random() < faults.resetRate) {
      stats.faults.reset += 1;
      req.socket.destroy();
      return;
    }
    if (faults.slowRate && random() < faults.slowRate) {
      stats.faults.slow += 1;
      await sleep(faults.slowMs);
    }
    const malformed =
      reply.body !== undefined && faults.malformedRate > 0 && random() < faults.malformedRate;
    if (malformed) stats.faults.malformed += 1;
    send(res, reply, headers, malformed);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  function resetStats() {
    stats.total = 0;
    stats.byRoute = {};
    stats.faults = { fail: 0, reset: 0, malformed: 0, slow: 0, throttle: 0, rateLimited: 0 };
    stats.deliveries = [];
  }

  return {
    url: `${origin}${DECISIONS.basePath}`,
    origin,
    port,
    store,
    behaviour,
    faults,
    stats,
    resetStats,
    close: async () => {
      await Promise.race([Promise.allSettled([...pending]), sleep(200)]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
