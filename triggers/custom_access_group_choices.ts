import { defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { customGroupChoices } from '../src/api/access-groups';
import type { AccessGroup } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';

/**
 * Powers the dropdowns that pick custom access groups (scope groups cannot be written through
 * the API). "Load more" pages with Sotion's cursor, kept between pages by z.cursor.
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
  const { groups, nextCursor } = await customGroupChoices(client, after);
  await z.cursor.set(nextCursor ?? '');
  return groups;
}) satisfies PollingTriggerPerform<Record<string, never>, AccessGroup>;

export default defineTrigger({
  key: 'custom_access_group_choices',
  noun: 'Access Group',
  display: {
    label: 'Custom Access Groups',
    description: 'Lists custom access groups for dropdowns.',
    hidden: true,
  },
  operation: {
    type: 'polling',
    canPaginate: true,
    perform,
  },
});
