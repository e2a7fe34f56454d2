import { perform } from '../../creates/delete_access_group';
import {
  api,
  appTester,
  group,
  headers,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
} from '../helpers';

const target = group(9);
const path = `${PREFIX}/access-groups/${target.id}`;

describe('delete_access_group', () => {
  it('sends one DELETE and says the group was deleted', async () => {
    api().delete(path).reply(204, '', headers());
    const result = await appTester(perform, makeBundle({ access_group_id: target.id }));
    expect(result).toEqual({ id: target.id, deleted: true });
  });

  it('a missing group is an error by default, with what to do', async () => {
    api().delete(path).reply(404, { error: 'Not found' }, headers('d1'));
    const error = await rejection(appTester(perform, makeBundle({ access_group_id: target.id })));
    expect(messageOf(error)).toBe(
      `Sotion has no access group ${target.id} (404 Not Found): it was deleted already, or the ` +
        'ID belongs to another site. Set "If Not Found" to "Succeed with Deleted: false" when that is expected, for ' +
        'example when replaying the step. (X-Request-Id: req-d1)',
    );
  });

  it('a missing group succeeds with deleted: false when chosen', async () => {
    api().delete(path).reply(404, '', headers());
    const result = await appTester(
      perform,
      makeBundle({ access_group_id: target.id, if_not_found: 'succeed' }),
    );
    expect(result).toEqual({ id: target.id, deleted: false });
  });

  it('a lost answer is retried; a 404 then says this step may have deleted it', async () => {
    api()
      .delete(path)
      .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    api().delete(path).reply(404, '', headers('d2'));
    const error = await rejection(appTester(perform, makeBundle({ access_group_id: target.id })));
    expect(messageOf(error)).toMatch(
      /another site\. An earlier attempt got no answer, so this step may have deleted it itself\. Set "If Not Found"/,
    );
  });

  it('a scope group is refused with the rule that applies', async () => {
    api().delete(path).reply(403, '', headers('f2'));
    const error = await rejection(appTester(perform, makeBundle({ access_group_id: target.id })));
    expect(messageOf(error)).toMatch(/is a scope group .* read-only via the API.*req-f2/);
  });

  it.each([
    [{}, 'Access Group is required: pick an access group from the dropdown or map its ID.'],
    [
      { access_group_id: target.id, if_not_found: 'ignore' },
      'If Not Found must be one of its choices: "Stop with an error" or "Succeed with Deleted: false"; it was "ignore". Pick one from the dropdown.',
    ],
  ])('refuses %j before any request', async (input, message) => {
    const error = await rejection(appTester(perform, makeBundle(input)));
    expect(messageOf(error)).toBe(message);
  });
});
