import { randomUUID, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

export interface SiteRecord {
  id: string;
  status: string;
  domain: string | null;
  slug: string;
  title: string | null;
}
export interface GroupRecord {
  id: string;
  name: string;
  description: string | null;
  type: 'custom' | 'scope';
  createdAt: string | null;
  updatedAt: string | null;
}
export interface MemberRecord {
  id: string;
  email: string;
  displayName: string | null;
  status: 'active' | 'blocked';
  verified: boolean | null;
  paid: boolean | null;
  registeredAt: string | null;
  lastLoginAt: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}
export interface WebhookRecord {
  id: string;
  name: string;
  url: string;
  events: string[];
  active: boolean;
  secret: string;
  managedBy: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface SiteData {
  site: SiteRecord;
  keys: Array<{ key: string; name: string | null; revoked: boolean }>;
  groups: GroupRecord[];
  members: MemberRecord[];
  /** groupId → member ids, in the order they were added. */
  memberships: Record<string, string[]>;
  webhooks: WebhookRecord[];
  loginLinks: Array<{ memberId: string; at: number }>;
}
export interface StoreData {
  sites: SiteData[];
}

export const EVENTS = [
  'member.created',
  'member.updated',
  'member.auth',
  'member.deleted',
  'access-group.created',
  'access-group.updated',
  'access-group.deleted',
  'access-group.member.added',
  'access-group.member.removed',
] as const;

/** Keys of the seeded demo sites; printed by `npm run sandbox` and used by `npm start`. */
export const DEMO_KEY = 'so_sandbox_demo_site_key_0001';
export const OTHER_KEY = 'so_sandbox_other_site_key_0002';

let clock = Date.parse('2026-01-01T00:00:00.000Z');
/** Strictly increasing timestamps, so ordering by createdAt is well defined in the sandbox. */
export const now = (): string => {
  clock = Math.max(clock + 1, Date.now());
  return new Date(clock).toISOString();
};

export const newKey = (): string => `so_sandbox_${randomBytes(12).toString('hex')}`;

export const emptySite = (title: string, slug: string, key = newKey()): SiteData => ({
  site: { id: randomUUID(), status: 'published', domain: null, slug, title },
  keys: [{ key, name: 'sandbox', revoked: false }],
  groups: [],
  members: [],
  memberships: {},
  webhooks: [],
  loginLinks: [],
});

const member = (email: string, extra: Partial<MemberRecord> = {}): MemberRecord => {
  const at = now();
  return {
    id: randomUUID(),
    email,
    displayName: null,
    status: 'active',
    verified: false,
    paid: false,
    registeredAt: at,
    lastLoginAt: null,
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
};

const groupRecord = (name: string, type: 'custom' | 'scope', description: string | null = null) => {
  const at = now();
  return {
    id: randomUUID(),
    name,
    description,
    type,
    createdAt: at,
    updatedAt: at,
  } satisfies GroupRecord;
};

/** A demo site with custom and scope groups and a few members, plus a second site for isolation. */
export const seedDemo = (): StoreData => {
  const demo = emptySite('Demo Docs', 'demo-docs', DEMO_KEY);
  demo.site.domain = 'docs.example.com';
  const premium = groupRecord(
    'Premium Members',
    'custom',
    'Paying members who can read the guides.',
  );
  const beta = groupRecord('Beta Testers', 'custom');
  const course = groupRecord('Course Students', 'scope', 'From the Notion collection "Students".');
  demo.groups.push(premium, beta, course);
  const ada = member('ada@example.com', {
    displayName: 'Ada Lovelace',
    paid: true,
    verified: true,
  });
  const grace = member('grace@example.com', { displayName: 'Grace Hopper' });
  const alan = member('alan@example.com', { status: 'blocked' });
  demo.members.push(ada, grace, alan);
  demo.memberships[premium.id] = [ada.id];
  demo.memberships[course.id] = [grace.id];
  const other = emptySite('Other Site', 'other-site', OTHER_KEY);
  other.groups.push(groupRecord('Other Group', 'custom'));
  other.members.push(member('other@example.com'));
  return { sites: [demo, other] };
};

export class Store {
  data: StoreData;

  constructor(data: StoreData = seedDemo()) {
    this.data = data;
  }

  siteForKey(key: string): SiteData | undefined {
    return this.data.sites.find((s) => s.keys.some((k) => k.key === key && !k.revoked));
  }

  addSite(title: string, slug: string): { site: SiteData; key: string } {
    const site = emptySite(title, slug);
    this.data.sites.push(site);
    return { site, key: site.keys[0]!.key };
  }

  save(file: string): void {
    writeFileSync(file, JSON.stringify(this.data, null, 2));
  }

  static load(file: string): Store {
    return new Store(JSON.parse(readFileSync(file, 'utf8')) as StoreData);
  }
}

export const memberCount = (site: SiteData, groupId: string): number =>
  (site.memberships[groupId] ?? []).length;

export const groupsOf = (site: SiteData, memberId: string): GroupRecord[] =>
  site.groups.filter((g) => (site.memberships[g.id] ?? []).includes(memberId));

export const makeMember = member;
export const makeGroup = groupRecord;
