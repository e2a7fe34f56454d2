import { defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { memberChoices } from '../src/api/member-reads';
import type { MemberListItem } from '../src/api/schemas';
import { cursorPage } from '../src/zap/dropdown';

/**
 * Powers the member dropdowns (newest members first, labelled by email). "Load more" pages
 * with Sotion's cursor, kept between pages by z.cursor.
 */
export const perform = (async (z, bundle) =>
  cursorPage(z, bundle, 'members', memberChoices)) satisfies PollingTriggerPerform<
  Record<string, never>,
  MemberListItem
>;

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

export const requests = '1 a page';
