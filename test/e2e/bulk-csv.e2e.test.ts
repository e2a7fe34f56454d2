import { parse } from 'csv-parse/sync';
import { perform as bulkAddMembers } from '../../creates/bulk_add_members';
import { makeMember } from '../../sandbox/store';
import { appTester } from '../tester';
import { mockStash } from '../stash-rpc';
import {
  demoSite,
  e2eBundle,
  expectMembersInGroups,
  groupByName,
  putFile,
  useSandbox,
} from './harness';

jest.setTimeout(60_000);

describe('Bulk Add Members from a CSV File the sandbox serves', () => {
  const sandbox = useSandbox();

  it('imports every readable row into the group, reports the rest by line, and stores the results file', async () => {
    const site = demoSite(sandbox());
    const premium = groupByName(site, 'Premium Members');
    site.members.push(makeMember('already@example.org', { paid: false }));
    const fresh = Array.from({ length: 110 }, (_, i) => `csv${i}@example.org`);
    const rows = [
      'Email;Display Name;Paid',
      ...fresh.map((email, i) => `${email};Person ${i};${i % 2 === 0 ? 'yes' : 'no'}`),
      'already@example.org;;',
      'broken@example.org;Broken;sometimes',
      'not-an-email;;',
    ];
    const url = await putFile(sandbox(), 'import.csv', `\uFEFF${rows.join('\r\n')}\r\n`);
    mockStash({ uploadUrl: `${sandbox().origin}/__sandbox/files/`, keyPrefix: 'bulk-add' });
    sandbox().resetStats();

    const out = await appTester(
      bulkAddMembers,
      e2eBundle({ csv_file: url, access_group_ids: [premium.id] }),
    );

    expect(out).toMatchObject({
      total: 113,
      createdCount: 110,
      addedToGroupsCount: 1,
      invalidCount: 2,
      failedCount: 0,
      invalidEmails: ['broken@example.org', 'not-an-email'],
      results_file: `${sandbox().origin}/__sandbox/files/bulk-add-1.csv`,
    });
    expect(out.results.find((r) => r.email === 'broken@example.org')).toMatchObject({
      source: 'CSV line 113',
      reason:
        'Not sent: this row could not be read: its Paid value must be true or false (yes/no); it was "sometimes".',
    });
    // The sandbox's state: every readable row is a member of the group, once, with its name
    // and Paid; the unreadable row was never sent.
    expectMembersInGroups(demoSite(sandbox()), [...fresh, 'already@example.org'], [premium.id]);
    const byEmail = new Map(demoSite(sandbox()).members.map((m) => [m.email, m]));
    expect([
      byEmail.get('csv0@example.org')?.displayName,
      byEmail.get('csv0@example.org')?.paid,
    ]).toEqual(['Person 0', true]);
    expect(byEmail.get('csv1@example.org')?.paid).toBe(false);
    expect(byEmail.has('broken@example.org')).toBe(false);
    // The download carried no key; the stored results file lists every row.
    const download = sandbox().files.requests.find((r) => r.method === 'GET');
    expect(download?.headers.authorization).toBeUndefined();
    const stored = sandbox().files.stored.get('bulk-add-1.csv');
    const lines = parse(stored?.body ?? Buffer.alloc(0), { bom: true }) as string[][];
    expect(lines).toHaveLength(114);
    expect(lines.at(-1)).toEqual([
      'CSV line 114',
      'not-an-email',
      'invalid',
      '',
      'Not sent: the email has no @.',
    ]);
  });
});
