import { defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { memberChoices } from '../src/api/member-reads';
import type { MemberListItem } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';

/**
 * Powers the member dropdowns (newest members first, labelled by email). "Load more" pages
 * with Sotion's cursor, kept between pages by z.cursor.
 */
export const perform = (async (z, bundle) => {
  const page = bundle.meta?.page ?? 0;
  let after: string | null = null;
  if (page > 0) {
    after = (await z.cursor.get()) || null;
    // No cursor left: the previous page was the last one.
    if (!after) return [];
  }
  const client = new SotionClient(z, bundle);
  const { members, nextCursor } = await memberChoices(client, after);
  await z.cursor.set(nextCursor ?? '');
  return members;
}) satisfies PollingTriggerPerform<Record<string, never>, MemberListItem>;

export default defineTrigger({
  key: 'member_choices',
  noun: 'Member',
  display: {
    label: 'Members',
    description: 'Lists members for dropdowns.',
    hidden: true,
  },
  operation: {
    type: 'polling',
    canPaginate: true,
    perform,
  },
});
