import { defineTrigger, type PollingTriggerPerform } from 'zapier-platform-core';
import { newestMembers } from '../src/api/member-reads';
import type { MemberListItem } from '../src/api/schemas';
import { SotionClient } from '../src/http/client';
import { MAX_PER_POLL, pollWindow } from '../src/zap/polling';
import { memberListOutputFields, memberListSample } from '../src/zap/samples';

/**
 * One GET /members per poll: Sotion lists members newest first (documented), so the first page
 * holds every member added since the last poll, up to Zapier's 100 per poll. Seeding dedupe when
 * a Zap is turned on reads that same page: older members never come back in a later poll, so
 * their ids are not needed.
 */
export const perform = (async (z, bundle) => {
  const window = pollWindow(bundle.meta);
  const client = new SotionClient(z, bundle);
  return newestMembers(client, Math.min(window.max, MAX_PER_POLL));
}) satisfies PollingTriggerPerform<Record<string, never>, MemberListItem>;

export default defineTrigger({
  key: 'new_member',
  noun: 'Member',
  display: {
    label: 'New Member',
    description: 'Triggers when a member is added; works past the 10-webhook limit.',
  },
  operation: {
    type: 'polling',
    perform,
    sample: memberListSample,
    outputFields: memberListOutputFields,
  },
});

export const requests = '1 (Sotion lists members newest first)';
