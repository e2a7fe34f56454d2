import { perform as bulkAddMembers } from '../../creates/bulk_add_members';
import { perform as createMember } from '../../creates/create_member';
import { perform as findMember } from '../../searches/find_member';
import { appTester, messageOf, rejection } from '../tester';
import { demoSite, e2eBundle, useSandbox } from './harness';

/**
 * The same person typed in other bytes (full-width letters, a combining accent) is one member:
 * every path reads the email through normalizeEmail (NFKC, trimmed, lowercased) before it
 * compares or sends it. Checked against the sandbox's state.
 */
jest.setTimeout(60_000);

const COMPOSED = 'jos\u00e9@example.org';
const DECOMPOSED = 'jose\u0301@example.org';

describe('the same person in different bytes', () => {
  const sandbox = useSandbox();
  const emails = () => demoSite(sandbox()).members.map((m) => m.email);

  it('ＡＤＡ@example.com (full-width) is the existing ada@example.com, not a second member', async () => {
    const before = emails().length;
    const error = await rejection(
      appTester(createMember, e2eBundle({ email: 'ＡＤＡ@example.com' })),
    );
    expect(messageOf(error)).toMatch(/^A member with the email ada@example\.com already exists/);
    const found = await appTester(findMember, e2eBundle({ email: 'ＡＤＡ@ｅｘａｍｐｌｅ.com' }));
    expect(found.map((m) => m.email)).toEqual(['ada@example.com']);
    expect(emails()).toHaveLength(before);
  });

  it('josé in its two Unicode encodings: both accepted, one member', async () => {
    const made = await appTester(createMember, e2eBundle({ email: DECOMPOSED }));
    expect(made.email).toBe(COMPOSED);
    const again = await appTester(
      createMember,
      e2eBundle({ email: COMPOSED, if_email_exists: 'return_existing' }),
    );
    expect([again.id, again.alreadyExisted]).toEqual([made.id, true]);
    expect(emails().filter((e) => e.startsWith('jos'))).toEqual([COMPOSED]);
  });

  it('Bulk Add Members: the two encodings and the full-width form are one member each', async () => {
    const out = await appTester(
      bulkAddMembers,
      e2eBundle({
        emails: ['rene\u0301@example.net', 'ren\u00e9@example.net', 'ＧＲＡＣＥ@example.com'],
      }),
    );
    expect(out).toMatchObject({
      createdEmails: ['ren\u00e9@example.net'],
      duplicateEmails: ['ren\u00e9@example.net'],
      existingEmails: ['grace@example.com'],
      invalidCount: 0,
    });
    expect(emails().filter((e) => e.startsWith('ren'))).toEqual(['ren\u00e9@example.net']);
    expect(emails().filter((e) => e.includes('grace'))).toEqual(['grace@example.com']);
  });
});
