/**
 * The sentence a Sync Access Group Members error gives of what the run did (src/bulk/sync.ts):
 * each count that can be zero is said only when it is not.
 */
import type { Bundle, ZObject } from 'zapier-platform-core';
import type { StepOutput } from '../../src/bulk/output';
import { SYNC_STEP, syncGroupMembers, type SyncStatus } from '../../src/bulk/sync';
import { SotionClient } from '../../src/http/client';
import { appTester, makeBundle, messageOf, rejection } from '../helpers';
import { entriesOf, G1 } from './engine';

const output = (counts: Partial<Record<string, number>>) =>
  ({
    total: 0,
    unchangedCount: 0,
    addedCount: 0,
    createdCount: 0,
    notAMemberCount: 0,
    invalidCount: 0,
    duplicateCount: 0,
    removedCount: 0,
    notInGroupCount: 0,
    failedCount: 0,
    ...counts,
  }) as unknown as StepOutput<SyncStatus>;

describe('Sync Access Group Members: what the run did, in one sentence', () => {
  it('names every count that is not zero', () => {
    expect(
      SYNC_STEP.progress(
        output({
          total: 1_200,
          unchangedCount: 1_000,
          addedCount: 2,
          createdCount: 1,
          notAMemberCount: 4,
          invalidCount: 5,
          duplicateCount: 6,
          removedCount: 3,
          notInGroupCount: 7,
          failedCount: 11,
        }),
        { notSent: 8 },
      ),
    ).toBe(
      'Of 1,200 emails in the list: 1,000 unchanged, 2 added, 1 created, 4 of no member, ' +
        '5 invalid, 6 duplicates in the list; 3 removed from the group, 7 out of it already, ' +
        '8 not done yet, 3 failed.',
    );
  });

  it('leaves out the counts that are zero', () => {
    expect(SYNC_STEP.progress(output({ total: 1, unchangedCount: 1 }), {})).toBe(
      'Of 1 email in the list: 1 unchanged, 0 added, 0 created; 0 removed from the group.',
    );
  });
});

describe('Sync Access Group Members: a list with no valid email', () => {
  const refusal = async (emails: string[]) =>
    messageOf(
      await rejection(
        appTester(
          (z: ZObject, bundle: Bundle) =>
            syncGroupMembers(new SotionClient(z, bundle), entriesOf(emails), {
              groupId: G1,
              createMissing: true,
              removeOthers: true,
              dryRun: false,
            }),
          makeBundle({}),
        ),
      ),
    );

  it('quotes up to three of the invalid emails, then says how many more', async () => {
    expect(await refusal(['a', 'b', 'c'])).toMatch(
      /^The list has no valid email \(3 invalid: a, b, c\), and/,
    );
    expect(await refusal(['a', 'b', 'c', 'd', 'e'])).toMatch(
      /^The list has no valid email \(5 invalid: a, b, c and 2 more\), and/,
    );
  });
});
