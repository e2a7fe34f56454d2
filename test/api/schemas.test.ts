import {
  AccessGroup,
  BulkResponse,
  CreatedWebhook,
  GroupMemberItem,
  list,
  LoginLink,
  Member,
  MemberListItem,
  single,
  Site,
  Webhook,
} from '../../src/api/schemas';
import { group, uuid } from '../helpers';
import { fullMember, listedMember } from '../member-fixtures';

/** The path of the first issue a body of the wrong shape has, or 'ok'. */
const firstIssue = (
  schema: {
    safeParse: (v: unknown) => {
      success: boolean;
      error?: { issues: Array<{ path: PropertyKey[] }> };
    };
  },
  value: unknown,
) => {
  const parsed = schema.safeParse(value);
  return parsed.success ? 'ok' : (parsed.error?.issues[0]?.path.join('.') ?? '');
};

describe('schemas: what Sotion may leave out', () => {
  it('an access group without description or times reads them as null; extra fields are kept', () => {
    const { description: _d, createdAt: _c, updatedAt: _u, ...bare } = group(1);
    expect(AccessGroup.parse({ ...bare, color: 'red' })).toEqual({
      ...bare,
      description: null,
      createdAt: null,
      updatedAt: null,
      color: 'red',
    });
  });

  it('a member without display name, flags or times reads them as null', () => {
    const { id, email, status } = listedMember(1);
    expect(MemberListItem.parse({ id, email, status })).toEqual({
      id,
      email,
      status,
      displayName: null,
      verified: null,
      paid: null,
      registeredAt: null,
      lastLoginAt: null,
      createdAt: null,
      updatedAt: null,
    });
    expect(GroupMemberItem.parse({ id, email, status })).not.toHaveProperty('createdAt');
  });

  it('a site, a webhook and a login link take their optional parts missing', () => {
    expect(Site.parse({ id: 's', status: 'published', slug: 'docs' })).toEqual({
      id: 's',
      status: 'published',
      slug: 'docs',
      domain: null,
      title: null,
    });
    const hook = { id: 'w', name: 'n', url: 'https://x', events: ['member.created'], active: true };
    expect(Webhook.parse(hook)).toEqual({
      ...hook,
      managedBy: null,
      createdAt: null,
      updatedAt: null,
    });
    expect(LoginLink.parse({ memberId: 'm', status: 'sent' })).toEqual({
      memberId: 'm',
      status: 'sent',
    });
  });
});

describe('schemas: what a body must have', () => {
  it('names the field of an access group that is missing or of the wrong kind', () => {
    expect(firstIssue(AccessGroup, group(1))).toBe('ok');
    expect(firstIssue(AccessGroup, { ...group(1), id: '' })).toBe('id');
    expect(firstIssue(AccessGroup, { ...group(1), type: 'weird' })).toBe('type');
    expect(firstIssue(AccessGroup, { ...group(1), memberCount: 1.5 })).toBe('memberCount');
    expect(firstIssue(AccessGroup, { ...group(1), name: undefined })).toBe('name');
  });

  it("a member's status is active or blocked; a full member has its access groups", () => {
    expect(firstIssue(MemberListItem, { ...listedMember(1), status: 'deleted' })).toBe('status');
    expect(firstIssue(Member, fullMember(1, [2]))).toBe('ok');
    expect(firstIssue(Member, listedMember(1))).toBe('accessGroups');
    expect(firstIssue(Member, { ...listedMember(1), accessGroups: [{ name: 'x' }] })).toBe(
      'accessGroups.0.id',
    );
  });

  it('single() and list() wrap an item as Sotion answers: data, and pagination for lists', () => {
    expect(firstIssue(single(AccessGroup), { data: group(1) })).toBe('ok');
    expect(firstIssue(single(AccessGroup), group(1))).toBe('data');
    const page = { data: [group(1)], pagination: { hasMore: false, nextCursor: null } };
    expect(firstIssue(list(AccessGroup), page)).toBe('ok');
    expect(firstIssue(list(AccessGroup), { data: [group(1)] })).toBe('pagination');
    expect(firstIssue(list(AccessGroup), { ...page, pagination: { hasMore: true } })).toBe(
      'pagination.nextCursor',
    );
  });

  it('a bulk answer has an outcome per item and a summary; a created webhook has its secret', () => {
    const item = { email: 'a@example.com', status: 'created', member: listedMember(1) };
    const summary = { total: 1, created: 1, failed: 0 };
    expect(firstIssue(BulkResponse, { data: [item], summary })).toBe('ok');
    expect(firstIssue(BulkResponse, { data: [{ ...item, status: 'done' }], summary })).toBe(
      'data.0.status',
    );
    expect(firstIssue(BulkResponse, { data: [item] })).toBe('summary');
    const hook = { id: uuid(1), name: 'n', url: 'https://x', events: [], active: true };
    expect(firstIssue(CreatedWebhook, { ...hook, secret: 'whsec_1' })).toBe('ok');
    expect(firstIssue(CreatedWebhook, { ...hook, secret: '' })).toBe('secret');
    expect(firstIssue(LoginLink, { memberId: 'm', status: 'mailed' })).toBe('status');
  });
});
