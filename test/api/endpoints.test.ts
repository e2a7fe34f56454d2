import { api } from '../../src/api';
import { word, wordRequest } from '../../src/http/endpoint';
import type { RouteContext } from '../../sandbox/routes/context';
import { RESOURCE_ROUTES } from '../../sandbox/server';

const all = Object.entries(api).flatMap(([resource, table]) =>
  Object.entries(table).map(([name, ep]) => ({ key: `${resource}.${name}`, ep })),
);

const params = { groupId: 'g1', memberId: 'm1', webhookId: 'w1' };

describe('the endpoint table', () => {
  it('declares each endpoint of the API once: those the sandbox serves (reference §2)', () => {
    const routes = all.map(({ ep }) => `${ep.method} ${ep.path.replace(/\{\w+\}/g, '{}')}`);
    const served: string[] = [];
    const recorder = {
      route: (method: string, pattern: string) => served.push(`${method} ${pattern}`),
    };
    for (const register of RESOURCE_ROUTES) register(recorder as unknown as RouteContext);
    expect(new Set(routes).size).toBe(routes.length);
    expect(routes.sort()).toEqual(served.map((r) => r.replace(/:\w+/g, '{}')).sort());
    expect(routes.length).toBeGreaterThanOrEqual(20);
    // Path placeholders are named as the callers fill them.
    const placeholders = all.flatMap(({ ep }) => ep.path.match(/\{\w+\}/g) ?? []);
    expect(new Set(placeholders)).toEqual(new Set(Object.keys(params).map((p) => `{${p}}`)));
  });

  it.each([
    ['site.get', 'reading your Sotion site'],
    ['accessGroups.list', 'reading access groups'],
    ['accessGroups.create', 'creating an access group'],
    ['accessGroups.delete', 'deleting access group g1'],
    ['groupMembers.list', 'reading members of access group g1'],
    ['groupMembers.add', 'adding member m1 to access group g1'],
    ['groupMembers.remove', 'removing member m1 from access group g1'],
    ['members.bulkCreate', 'creating members in bulk'],
    ['members.update', 'updating member m1'],
    ['members.createLoginLink', 'creating a login link for member m1'],
    ['webhooks.delete', 'deleting webhook subscription w1'],
  ])('%s is worded "%s"', (key, text) => {
    const found = all.find((e) => e.key === key);
    const { action, target } = wordRequest(found!.ep, params);
    expect(`${action} ${target}`).toBe(text);
  });

  it('declares the outcomes callers handle and which sends are unsafe to repeat', () => {
    const facts = Object.fromEntries(
      all.map(({ key, ep }) => [key, `${ep.replay} [${ep.expect.join(',')}]`]),
    );
    // Every endpoint: a read is safe and handles no status itself; a conflict replay needs the 409.
    for (const { key, ep } of all) {
      if (ep.method === 'GET') expect([key, facts[key]]).toEqual([key, 'safe []']);
      if (ep.replay === 'conflict')
        expect([key, ep.expect]).toEqual([key, expect.arrayContaining([409])]);
    }
    // And the decisions made for each endpoint so far.
    expect(facts).toMatchObject({
      'site.get': 'safe []',
      'accessGroups.list': 'safe []',
      'accessGroups.create': 'conflict [409]',
      'accessGroups.get': 'safe []',
      'accessGroups.update': 'safe [409]',
      'accessGroups.delete': 'safe [404]',
      'groupMembers.list': 'safe []',
      'groupMembers.add': 'safe [409]',
      'groupMembers.remove': 'safe [404]',
      'members.list': 'safe []',
      'members.create': 'conflict [409]',
      'members.bulkCreate': 'safe []',
      'members.get': 'safe []',
      'members.update': 'safe [409]',
      'members.delete': 'safe [404]',
      'members.createLoginLink': 'unsafe []',
      'webhooks.list': 'safe []',
      'webhooks.create': 'unsafe []',
      'webhooks.get': 'safe []',
      'webhooks.delete': 'safe [404]',
    });
  });

  it('explains a 403 where the rule is known', () => {
    const forbidden = Object.fromEntries(
      all.filter(({ ep }) => ep.forbidden).map(({ key, ep }) => [key, word(ep.forbidden!, params)]),
    );
    // Only a write is refused for a reason of its own.
    for (const key of Object.keys(forbidden)) {
      expect([key, all.find((e) => e.key === key)?.ep.method]).not.toEqual([key, 'GET']);
    }
    expect(Object.keys(forbidden).sort()).toEqual(
      expect.arrayContaining([
        'accessGroups.delete',
        'accessGroups.update',
        'groupMembers.add',
        'groupMembers.remove',
        'members.bulkCreate',
        'members.create',
        'members.createLoginLink',
        'members.delete',
        'members.update',
      ]),
    );
    expect(forbidden['groupMembers.remove']).toMatch(/^Access group g1 is a scope group/);
    expect(forbidden['members.createLoginLink']).toMatch(/member m1\. Blocked members/);
    expect(forbidden['members.update']).toMatch(/^Sotion refused to change member m1 .*plan/);
    expect(forbidden['members.delete']).toMatch(/^Sotion refused to delete member m1 .*plan/);
  });

  it('names the limit behind a 429 where Sotion documents one', () => {
    const throttled = all.filter(({ ep }) => ep.throttled).map(({ key }) => key);
    expect(throttled).toEqual(['members.createLoginLink']);
    expect(api.members.createLoginLink.throttled).toMatch(
      /5 login links a minute for one member and 50 a minute for the whole site/,
    );
  });
});
