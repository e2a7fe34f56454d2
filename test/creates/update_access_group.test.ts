import { perform } from '../../creates/update_access_group';
import {
  api,
  appTester,
  group,
  headers,
  makeBundle,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
} from '../helpers';

const target = group(7, { name: 'Old Name', description: 'Old text' });
const path = `${PREFIX}/access-groups/${target.id}`;

describe('update_access_group', () => {
  it('renames with one PATCH carrying only the new name, and returns the group', async () => {
    const renamed = { ...target, name: 'Premium Members' };
    api().patch(path, { name: 'Premium Members' }).reply(200, { data: renamed }, headers());
    const result = await appTester(
      perform,
      makeBundle({ access_group_id: target.id.toUpperCase(), name: ' Premium Members ' }),
    );
    expect(result).toEqual(renamed);
  });

  it('replaces the description only', async () => {
    const changed = { ...target, description: 'New text' };
    api().patch(path, { description: 'New text' }).reply(200, { data: changed }, headers());
    const result = await appTester(
      perform,
      makeBundle({
        access_group_id: target.id,
        description: 'New text',
        clear_description: 'false',
      }),
    );
    expect(result.description).toBe('New text');
  });

  it('clears the description with an explicit null, beside a new name', async () => {
    const changed = { ...target, name: 'VIP', description: null };
    api().patch(path, { name: 'VIP', description: null }).reply(200, { data: changed }, headers());
    const result = await appTester(
      perform,
      makeBundle({ access_group_id: target.id, name: 'VIP', clear_description: 'true' }),
    );
    expect(result).toEqual(changed);
  });

  it.each([
    [
      { access_group_id: target.id },
      'Nothing to change: enter a New Name or a New Description, or set Clear the Description to true.',
    ],
    [
      { access_group_id: target.id, description: '   ', clear_description: false },
      'Nothing to change: enter a New Name or a New Description, or set Clear the Description to true.',
    ],
    [
      { access_group_id: target.id, description: 'x', clear_description: 'yes' },
      'New Description and Clear the Description contradict each other: empty New Description to clear it, or set Clear the Description to false to replace it.',
    ],
    [
      { access_group_id: target.id, name: 'n'.repeat(101) },
      'New Name must be at most 100 characters; it has 101. Shorten it and try again.',
    ],
    [
      { access_group_id: target.id, description: 'd'.repeat(501) },
      'New Description must be at most 500 characters; it has 501. Shorten it and try again.',
    ],
    [
      { name: 'VIP' },
      'Access Group is required: pick an access group from the dropdown or map its ID.',
    ],
    [
      { access_group_id: 'premium', name: 'VIP' },
      'Access Group must be a Sotion access group ID (a UUID such as 3f0c1a52-7d9e-4b8a-9c41-2a6e5d7b8f10); "premium" is not. Pick the group from the dropdown or map its ID from an earlier step.',
    ],
    [
      { access_group_id: target.id, name: 'VIP', clear_description: 'maybe' },
      'Clear the Description must be true or false (yes/no); it was "maybe".',
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toBe(message);
  });

  it('a taken name names the group that has it (one PATCH, then the group list)', async () => {
    const holder = group(150, { name: 'VIP' });
    api().patch(path, { name: 'VIP' }).reply(409, { error: 'Conflict' }, headers('c1'));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1), target], target.id), headers());
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100', after: target.id })
      .reply(200, pageOf([holder]), headers());
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: target.id, name: 'VIP' })),
    );
    expect(messageOf(error)).toBe(
      `Access group ${target.id} was not renamed to "VIP": access group "VIP" (ID ${holder.id}) ` +
        'already has it. Choose another name, or rename or delete the other group first. ' +
        '(X-Request-Id: req-c1)',
    );
  });

  it('a taken name held under another case is found too', async () => {
    const holder = group(3, { name: 'vip' });
    api().patch(path, { name: 'VIP' }).reply(409, '', headers('c2'));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([holder]), headers());
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: target.id, name: 'VIP' })),
    );
    expect(messageOf(error)).toMatch(/access group "vip" \(ID [0-9a-f-]{36}\) already has it/);
  });

  it('says so when Sotion reports a conflict but no group has the name', async () => {
    api().patch(path, { name: 'VIP' }).reply(409, '', headers('c3'));
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)]), headers());
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: target.id, name: 'VIP' })),
    );
    expect(messageOf(error)).toBe(
      `Access group ${target.id} was not renamed to "VIP": Sotion says another access group ` +
        'already has it (409 Conflict), though none with that name is in its list now; it may ' +
        'have just been renamed or deleted, so replaying may work. Choose another name, or ' +
        'rename or delete the other group first. (X-Request-Id: req-c3)',
    );
  });

  it('a scope group is refused with the rule that applies', async () => {
    api().patch(path, { name: 'VIP' }).reply(403, { error: 'Forbidden' }, headers('f1'));
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: target.id, name: 'VIP' })),
    );
    expect(messageOf(error)).toBe(
      `Access group ${target.id} is a scope group (managed from a Notion collection), and scope ` +
        'groups are read-only via the API. Choose a custom access group instead. Sotion said: ' +
        '"Forbidden". (X-Request-Id: req-f1)',
    );
  });

  it('an unknown group is a not-found error naming it', async () => {
    api().patch(path, { name: 'VIP' }).reply(404, '', headers('n1'));
    const error = await rejection(
      appTester(perform, makeBundle({ access_group_id: target.id, name: 'VIP' })),
    );
    expect(messageOf(error)).toMatch(
      new RegExp(`^Sotion could not find access group ${target.id}\\..*req-n1`),
    );
  });
});
