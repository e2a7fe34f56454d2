import nock from 'nock';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { api as sotion } from '../../src/api';
import { SotionClient } from '../../src/http/client';
import {
  api,
  appTester,
  group,
  headers,
  makeBundle,
  messageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';

const M = uuid(3);
const G = uuid(7);

describe('sensitive (raw) requests', () => {
  it("an error status the endpoint expects is read once and handed back with Sotion's words", async () => {
    api().delete(`${PREFIX}/members/${M}`).reply(404, { error: 'No such member' }, headers('r1'));
    const outcome = await appTester(
      (z: ZObject, bundle: Bundle) =>
        new SotionClient(z, bundle).call(sotion.members.delete, {
          params: { memberId: M },
          sensitive: true,
        }),
      makeBundle({}),
    );
    expect(outcome).toEqual({
      ok: false,
      status: 404,
      requestId: 'req-r1',
      apiMessage: 'No such member',
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('an error status the endpoint does not expect is mapped from the raw body', async () => {
    api().get(`${PREFIX}/access-groups/${G}`).reply(422, { error: 'bad id' }, headers('r2'));
    const error = await rejection(
      appTester(
        (z: ZObject, bundle: Bundle) =>
          new SotionClient(z, bundle).call(sotion.accessGroups.get, {
            params: { groupId: G },
            sensitive: true,
          }),
        makeBundle({}),
      ),
    );
    expect(messageOf(error)).toBe(
      `Sotion rejected the request while reading access group ${G} (HTTP 422). Check the values in this step's fields. Sotion said: "bad id". (X-Request-Id: req-r2)`,
    );
  });

  it('a 2xx answer is parsed from the raw body', async () => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(7) }, headers('r3'));
    const result = await appTester(
      (z: ZObject, bundle: Bundle) =>
        new SotionClient(z, bundle).call(sotion.accessGroups.get, {
          params: { groupId: G },
          sensitive: true,
        }),
      makeBundle({}),
    );
    expect(result).toEqual({
      ok: true,
      status: 200,
      requestId: 'req-r3',
      data: { data: group(7) },
    });
  });
});
