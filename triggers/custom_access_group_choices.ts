import { defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { customGroupChoices } from '../src/api/access-groups';
import type { AccessGroup } from '../src/api/schemas';
import { cursorPage } from '../src/zap/dropdown';

/**
 * Powers the dropdowns that pick custom access groups (scope groups cannot be written through
 * the API). "Load more" pages with Sotion's cursor, kept between pages by z.cursor; pages that
 * hold only scope groups are skipped.
 */
export const perform = (async (z, bundle) =>
  cursorPage(z, bundle, 'access groups', customGroupChoices)) satisfies PollingTriggerPerform<
  Record<string, never>,
  AccessGroup
>;

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

export const requests = '1 a page (more while pages hold only scope groups)';
