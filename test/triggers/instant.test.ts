import { SHAPES } from '../../src/zap/hooks/shapes';
import { api, appTester, headers, KEY, pageOf, PREFIX, uuid } from '../helpers';
import App from '../../index';
import { envelope, hookBundle, hookOp, SECRET, TARGET } from '../zap/hooks/helpers';

/** The public contract of the nine instant triggers (issue 10): key, label, event, shape. */
const TRIGGERS = [
  ['member_created', 'Member Created', 'member.created', 'member'],
  ['member_updated', 'Member Updated', 'member.updated', 'member'],
  ['member_logged_in_or_out', 'Member Logged In or Out', 'member.auth', 'member'],
  ['member_deleted', 'Member Deleted', 'member.deleted', 'memberDeleted'],
  ['access_group_created', 'Access Group Created', 'access-group.created', 'group'],
  ['access_group_updated', 'Access Group Updated', 'access-group.updated', 'group'],
  ['access_group_deleted', 'Access Group Deleted', 'access-group.deleted', 'groupDeleted'],
  [
    'member_added_to_access_group',
    'Member Added to Access Group',
    'access-group.member.added',
    'membership',
  ],
  [
    'member_removed_from_access_group',
    'Member Removed From Access Group',
    'access-group.member.removed',
    'membership',
  ],
] as const;

const display = (key: string) =>
  (App.triggers as Record<string, { display: { label: string; description: string } }>)[key]
    ?.display;

describe('the instant triggers with a polling twin', () => {
  it.each([
    ['member_created', 'new_member', 'a member is added'],
    ['access_group_created', 'new_access_group', 'an access group is created'],
  ])(
    '%s and %s say which to pick: the polling one works past the webhook cap',
    (hook, poll, what) => {
      expect(display(hook)?.description).toBe(`Triggers when ${what}; uses 1 of 10 webhooks.`);
      expect(display(poll)?.description).toBe(
        `Triggers when ${what}; works past the 10-webhook limit.`,
      );
    },
  );
});

describe.each(TRIGGERS)('%s', (key, label, event, shape) => {
  const op = hookOp(key);

  it('is an instant trigger with its label, description, sample and fields', () => {
    expect(op.type).toBe('hook');
    expect(display(key)?.label).toBe(label);
    // Zapier marks instant triggers itself: the description does not say it again.
    expect(display(key)?.description).toMatch(/^Triggers when [^()]+\.$/);
    expect(display(key)?.description).not.toMatch(/instant/i);
    expect(op.sample).toEqual(SHAPES[shape].sample(event));
    // Every item says whether it holds all the details (issue 17 §3), the sample included.
    expect(op.sample).toMatchObject({ detailsComplete: true, detailsMissingReason: null });
    expect(op.outputFields).toEqual(
      expect.arrayContaining([
        { key: 'detailsComplete', label: 'Details Complete', type: 'boolean', required: true },
        { key: 'detailsMissingReason', label: 'Details Missing Reason', type: 'string' },
      ]),
    );
    expect(op.outputFields).toEqual(SHAPES[shape].outputFields);
    expect(op.inputFields.map((f) => f.key)).toEqual(
      shape === 'membership' ? ['access_group_ids'] : [],
    );
  });

  it(`subscribes to ${event} only`, async () => {
    api()
      .get(`${PREFIX}/webhooks`)
      .query({ managedBy: 'zapier', limit: '100' })
      .reply(200, pageOf([]), headers(1));
    api()
      .post(`${PREFIX}/webhooks`, {
        url: TARGET,
        events: [event],
        managedBy: 'zapier',
        name: `Zapier: ${label} trigger`,
      })
      .reply(
        201,
        {
          data: {
            id: uuid(3),
            name: 'n',
            url: TARGET,
            events: [event],
            active: true,
            secret: SECRET,
          },
        },
        headers(2),
      );
    const bundle = { authData: { apiKey: KEY }, inputData: {}, meta: {}, targetUrl: TARGET };
    expect(await appTester(op.performSubscribe, bundle as never)).toEqual({
      id: uuid(3),
      secret: SECRET,
    });
  });

  it(`runs for ${event} with the sample's keys, and for no other event`, async () => {
    const data = { ...SHAPES[shape].sample(event) };
    // The delivery carries the object as Sotion does (its own `id`), complete enough to need no
    // request.
    const object =
      shape === 'membership'
        ? {
            memberId: data.memberId,
            accessGroupId: data.accessGroupId,
            member: { id: data.memberId, email: data.email, accessGroups: data.accessGroups },
            accessGroup: { id: data.accessGroupId, name: data.accessGroupName },
          }
        : { ...data, id: data.memberId ?? data.accessGroupId };
    const [item] = await appTester(op.perform, hookBundle(envelope(event, object)), true);
    expect(Object.keys(item ?? {}).sort()).toEqual(Object.keys(op.sample).sort());
    expect(item).toMatchObject({ detailsComplete: true, detailsMissingReason: null });
    const other = event === 'member.created' ? 'member.updated' : 'member.created';
    expect(await appTester(op.perform, hookBundle(envelope(other, object)), true)).toEqual([]);
  });
});
