import { defineHookTrigger, hookDocs, membershipFilter } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'member_added_to_access_group',
  noun: 'Membership',
  label: 'Member Added to Access Group',
  description: 'Triggers when a member is added to an access group.',
  event: 'access-group.member.added',
  shape: 'membership',
  filter: membershipFilter,
});

export const { requests, cannot } = hookDocs('membership');
