import type { Bundle, ZObject } from 'zapier-platform-core';
import { perform as bulkPerform } from '../../creates/bulk_add_members';
import { perform as newGroups } from '../../triggers/new_access_group';
import { SotionClient } from '../../src/http/client';
import { api as sotion } from '../../src/api';
import {
  api,
  appTester,
  group,
  headers,
  KEY,
  messageOf,
  pageOf,
  PREFIX,
  rejection,
  uuid,
} from '../helpers';
import { useFastClock } from '../fast-clock';

// Back-off, Retry-After and rate-limit waits run on a clock that skips the waiting.
useFastClock();

const bundle = (inputData: Record<string, unknown> = {}) => ({
  authData: { apiKey: KEY },
  inputData: inputData as never,
});
const deleteGroup = (groupId: string) => (z: ZObject, b: Bundle) =>
  new SotionClient(z, b).call(sotion.accessGroups.delete, { params: { groupId } });
const getSite = (z: ZObject, b: Bundle) => new SotionClient(z, b).call(sotion.site.get, {});
const updateMember = (z: ZObject, b: Bundle) =>
  new SotionClient(z, b).call(sotion.members.update, {
    params: { memberId: uuid(3) },
    body: { email: 'ada@example.com' },
  });
const createMember = (z: ZObject, b: Bundle) =>
  new SotionClient(z, b).call(sotion.members.create, { body: { email: 'ada@example.com' } });

describe('pipeline edges', () => {
  it('403 on deleting a scope group explains the rule without mentioning members', async () => {
    const id = uuid(1);
    api().delete(`${PREFIX}/access-groups/${id}`).reply(403, '', headers('d1'));
    const error = await rejection(appTester(deleteGroup(id), bundle()));
    expect(messageOf(error)).toBe(
      `Access group ${id} is a scope group (managed from a Notion collection), and scope groups are read-only via the API. Choose a custom access group instead. (X-Request-Id: req-d1)`,
    );
  });

  it('an unexpected 4xx keeps its status in the code; a response without X-Request-Id names none', async () => {
    api().get(`${PREFIX}/site`).reply(418, { error: 'teapot' });
    const error = await rejection(appTester(getSite, bundle()));
    expect(JSON.parse(error.message)).toMatchObject({ code: 'http_418', status: 418 });
    expect(messageOf(error)).toBe(
      'Sotion rejected the request while reading your Sotion site (HTTP 418). Check the values in this step\'s fields. Sotion said: "teapot".',
    );
  });

  it('a bare 429 waits 60 seconds before Zapier retries', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '3000';
    try {
      api().get(`${PREFIX}/site`).reply(429, '');
      const error = await rejection(appTester(getSite, bundle()));
      expect(JSON.parse(error.message).message).toMatch(/about 60 seconds/);
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });

  it('a 409 the endpoint does not expect, without a body, still names the request', async () => {
    api()
      .post(`${PREFIX}/access-groups/${uuid(1)}/members`)
      .reply(409, '', headers('x'));
    const error = await rejection(
      appTester(
        (z: ZObject, b: Bundle) =>
          new SotionClient(z, b).call(
            { ...sotion.groupMembers.add, expect: [] },
            { params: { groupId: uuid(1) }, body: { memberId: uuid(2) } },
          ),
        bundle(),
      ),
    );
    expect(messageOf(error)).toBe(
      `Sotion answered 409 Conflict while adding member ${uuid(2)} to access group ${uuid(1)}: it already exists. (X-Request-Id: req-x)`,
    );
  });

  it("a 409 the endpoint expects is handed back with Sotion's words, the key redacted", async () => {
    api()
      .patch(`${PREFIX}/members/${uuid(3)}`, { email: 'ada@example.com' })
      .reply(409, { error: `taken; key ${KEY}` }, headers('y'));
    const outcome = await appTester(updateMember, bundle());
    expect(outcome).toEqual({
      ok: false,
      status: 409,
      requestId: 'req-y',
      apiMessage: 'taken; key [redacted key]',
    });
  });

  it('a network error without a code is named by its kind, with no request id', async () => {
    api().post(`${PREFIX}/members`, { email: 'ada@example.com' }).replyWithError('boom');
    const error = await rejection(appTester(createMember, bundle()));
    expect(messageOf(error)).toMatch(
      /^Sotion could not be reached \(\w+\) while creating a member\. The change may or may not have been made\. Check in Sotion before replaying the step\.$/,
    );
  });
});

describe('rate-limit headers: each one without the other', () => {
  const site = { id: uuid(9), status: 'published', domain: null, slug: 's', title: null };
  const inSeconds = (s: number) => String(Math.floor(Date.now() / 1000) + s);
  /** Serves GET /site once per header set, then runs that many reads on one client. */
  const readsWith = async (answers: Array<Record<string, string>>) => {
    for (const [i, extra] of answers.entries())
      api()
        .get(`${PREFIX}/site`)
        .reply(200, { data: site }, { 'x-request-id': `rl${i}`, ...extra });
    const started = Date.now();
    const ids = await appTester(async (z: ZObject, b: Bundle) => {
      const client = new SotionClient(z, b);
      const seen: Array<string | undefined> = [];
      for (let i = 0; i < answers.length; i += 1)
        seen.push((await client.call(sotion.site.get, {})).requestId);
      return seen;
    }, bundle());
    return { ids, elapsed: Date.now() - started };
  };

  // Core's getHeader answers null for a missing header. Read as a number, null is 0: a reset
  // without Remaining then looked like "no requests left" (a wait, or a ThrottledError).
  it('X-RateLimit-Reset without X-RateLimit-Remaining does not pause, even with the reset a minute ahead', async () => {
    const { ids, elapsed } = await readsWith([{ 'x-ratelimit-reset': inSeconds(60) }, {}]);
    expect(ids).toEqual(['rl0', 'rl1']);
    expect(elapsed).toBeLessThan(1000);
  });

  it('X-RateLimit-Reset a few seconds ahead without Remaining does not wait for it', async () => {
    const { elapsed } = await readsWith([{ 'x-ratelimit-reset': inSeconds(2) }, {}]);
    expect(elapsed).toBeLessThan(1000);
  });

  it('X-RateLimit-Remaining 0 without X-RateLimit-Reset does not pause', async () => {
    const { ids, elapsed } = await readsWith([{ 'x-ratelimit-remaining': '0' }, {}]);
    expect(ids).toEqual(['rl0', 'rl1']);
    expect(elapsed).toBeLessThan(1000);
  });

  it('Remaining 0 with the reset a second or two ahead pauses until the reset, once', async () => {
    const reset = inSeconds(2);
    const { ids } = await readsWith([
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      {},
      {},
    ]);
    expect(ids).toEqual(['rl0', 'rl1', 'rl2']);
    // Sent only after the window reset, and the pause is not repeated for the third read.
    expect(Date.now()).toBeGreaterThanOrEqual(Number(reset) * 1000);
    expect(Date.now()).toBeLessThan(Number(reset) * 1000 + 1000);
  });

  it('a Remaining of 0 uses the reset an earlier answer gave when this one has none', async () => {
    const reset = inSeconds(2);
    await readsWith([
      { 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': reset },
      { 'x-ratelimit-remaining': '0' },
      {},
    ]);
    expect(Date.now()).toBeGreaterThanOrEqual(Number(reset) * 1000);
  });

  it('responses missing one or both rate-limit headers, or with a reset already past, do not pause', async () => {
    const { ids, elapsed } = await readsWith([
      { 'x-ratelimit-reset': inSeconds(60) },
      {},
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1000' },
      { 'x-ratelimit-remaining': '', 'x-ratelimit-reset': 'soon' },
      {},
    ]);
    expect(ids).toEqual(['rl0', 'rl1', 'rl2', 'rl3', 'rl4']);
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('trigger edges', () => {
  it('runs without bundle.meta', async () => {
    api()
      .get(`${PREFIX}/access-groups`)
      .query({ limit: '100' })
      .reply(200, pageOf([group(1)]), headers());
    const result = await appTester(newGroups, bundle());
    expect(result.map((g) => g.id)).toEqual([uuid(1)]);
  });
});

describe('bulk edges', () => {
  const created = (email: string, withMember = true) => ({
    email,
    status: 'created',
    ...(withMember
      ? {
          member: {
            id: uuid(7),
            email,
            displayName: null,
            status: 'active',
            verified: false,
            paid: false,
            registeredAt: null,
            lastLoginAt: null,
            createdAt: null,
            updatedAt: null,
          },
        }
      : {}),
  });

  it('takes a single line item object and a plain text email list; repeated answers count once', async () => {
    api()
      .post(`${PREFIX}/members/bulk`, {
        members: [{ email: 'one@example.com', displayName: 'One' }, { email: 'two@example.com' }],
      })
      .reply(
        207,
        {
          data: [
            created('one@example.com'),
            created('ONE@example.com'),
            created('two@example.com', false),
          ],
          summary: { total: 2, created: 2, failed: 0 },
        },
        headers(),
      );
    const result = await appTester(
      bulkPerform,
      bundle({
        members: { email: 'one@example.com', display_name: 'One' },
        emails: 'two@example.com',
      }),
    );
    expect(result.results.map((r) => [r.email, r.status, r.memberId])).toEqual([
      ['one@example.com', 'created', uuid(7)],
      ['two@example.com', 'created', null],
    ]);
  });

  it('reports empty line items, and lists at most 5 examples in an error', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `bad${i}@@x.com`);
    const error = await rejection(
      appTester(bulkPerform, bundle({ members: [{}], emails, fail_when: 'any_problem' })),
    );
    expect(messageOf(error)).toMatch(
      /^No email in the input is valid, so nothing was sent: \(empty\) \(line item 1\): Not sent: the email is empty\. bad0@@x\.com .*…and 2 more in the same way\./,
    );
  });

  it('stops sending once a batch hits a fatal error and says the rest were not sent', async () => {
    const emails = Array.from({ length: 2600 }, (_, i) => `m${i}@example.com`);
    type Sent = { members: Array<{ email: string }> };
    // The first of the four batches in flight is refused; the three others are created.
    const isBatch = (body: Sent) =>
      body.members.length === 500 && body.members.every((m) => emails.includes(m.email));
    api().post(`${PREFIX}/members/bulk`, isBatch).reply(403, '', headers());
    process.env.SOTION_RUN_BUDGET_MS = '20000';
    try {
      api()
        .post(`${PREFIX}/members/bulk`, isBatch)
        .times(3)
        .delay(200)
        .reply(
          207,
          (_u, body) => {
            const members = (body as { members: Array<{ email: string }> }).members;
            return {
              data: members.map((m) => created(m.email)),
              summary: { total: members.length, created: members.length, failed: 0 },
            };
          },
          headers(),
        );
      const error = await rejection(appTester(bulkPerform, bundle({ emails, fail_when: 'never' })));
      expect(messageOf(error)).toMatch(
        /^Bulk Add Members stopped: .*Of 2,600 emails: 1,500 created, 0 already members, 600 not sent, 500 failed\./,
      );
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });

  it('existing members not looked up in time are reported as sent, their groups unchecked', async () => {
    process.env.SOTION_RUN_BUDGET_MS = '2600';
    const G = uuid(300);
    try {
      api()
        .get(`${PREFIX}/access-groups/${G}`)
        .reply(200, { data: group(300, { id: G }) }, headers());
      api()
        .post(`${PREFIX}/members/bulk`, {
          members: [{ email: 'old@example.com' }],
          accessGroupIds: [G],
        })
        .delay(1200)
        .reply(
          207,
          {
            data: [{ email: 'old@example.com', status: 'conflict' }],
            summary: { total: 1, created: 0, failed: 1 },
          },
          headers(),
        );
      const error = await rejection(
        appTester(bulkPerform, bundle({ emails: ['old@example.com'], access_group_ids: [G] })),
      );
      expect(messageOf(error)).toMatch(
        /^Bulk Add Members ran out of the time Zapier allows a step \(30 seconds\) before checking the access groups of 1 existing member\. Of 1 email: 0 created, 0 already members, 1 existing member whose access groups were not checked yet\./,
      );
    } finally {
      delete process.env.SOTION_RUN_BUDGET_MS;
    }
  });
});

describe('bulk edges: the existing-member pass', () => {
  const G = uuid(400);
  const conflicts = (emails: string[]) => {
    api()
      .get(`${PREFIX}/access-groups/${G}`)
      .reply(200, { data: group(400, { id: G }) }, headers());
    api()
      .post(`${PREFIX}/members/bulk`, {
        members: emails.map((email) => ({ email })),
        accessGroupIds: [G],
      })
      .reply(
        207,
        {
          data: emails.map((email) => ({ email, status: 'conflict' })),
          summary: { total: emails.length, created: 0, failed: emails.length },
        },
        headers(),
      );
  };

  it('a look-up that keeps failing fails that member with the reason', async () => {
    conflicts(['old@example.com']);
    api()
      .get(`${PREFIX}/members`)
      .query({ email: 'old@example.com', limit: '1' })
      .times(4)
      .reply(500, '', headers('lk'));
    const result = await appTester(
      bulkPerform,
      bundle({ emails: ['old@example.com'], access_group_ids: [G], fail_when: 'never' }),
    );
    expect(result.results[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(
        /^Sotion had a problem \(HTTP 500\) while reading members\..*req-lk\)\.$/,
      ),
    });
  });

  it('a 403 stops the pass; existing members not started are reported with their groups unchecked', async () => {
    const existing = Array.from({ length: 20 }, (_, i) => `old${i}@example.com`);
    conflicts(existing);
    // 20 ids cost one page of the site's member list rather than 20 look-ups: the 403 there
    // stops the pass before anyone is looked up.
    api().get(`${PREFIX}/members`).query({ limit: '100' }).reply(403, '', headers('stop'));
    const error = await rejection(
      appTester(
        bulkPerform,
        bundle({ emails: existing, access_group_ids: [G], fail_when: 'never' }),
      ),
    );
    expect(messageOf(error)).toMatch(
      /^Bulk Add Members stopped: .*Of 20 emails: 0 created, 0 already members, 20 existing members whose access groups were not checked yet\. Replaying/,
    );
  });
});

describe('404 wording', () => {
  const add404 = async (body: unknown) => {
    api()
      .post(`${PREFIX}/access-groups/${uuid(1)}/members`, { memberId: uuid(2) })
      .reply(404, body as string, headers('nf'));
    return messageOf(
      await rejection(
        appTester(
          (z: ZObject, b: Bundle) =>
            new SotionClient(z, b).call(sotion.groupMembers.add, {
              params: { groupId: uuid(1) },
              body: { memberId: uuid(2) },
            }),
          bundle(),
        ),
      ),
    );
  };
  const rest =
    'It may have been deleted, or the ID may belong to another site (each API key sees only ' +
    'its own site). Check the ID or pick it from the dropdown.';

  it.each([
    [{ error: 'Access group not found.' }, `access group ${uuid(1)}`],
    [{ error: { code: 'not_found', message: 'Member not found' } }, `member ${uuid(2)}`],
  ])('a group add names what Sotion says is missing: %j', async (body, what) => {
    const said = typeof body.error === 'string' ? body.error : body.error.message;
    expect(await add404(body)).toBe(
      `Sotion could not find ${what}. ${rest} Sotion said: "${said}". (X-Request-Id: req-nf)`,
    );
  });

  it.each([
    [{ error: 'Not found' }, ' Sotion said: "Not found".'],
    [{ error: 'Access group member not found' }, ' Sotion said: "Access group member not found".'],
    ['', ''],
  ])('a group add whose answer does not show which names both: %j', async (body, said) => {
    expect(await add404(body)).toBe(
      `Sotion could not find access group ${uuid(1)}, or member ${uuid(2)}. ${rest}${said} (X-Request-Id: req-nf)`,
    );
  });
});
