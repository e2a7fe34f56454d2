import { defineHookTrigger, hookDocs, membershipFilter } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'member_removed_from_access_group',
  noun: 'Membership',
  label: 'Member Removed From Access Group',
  description: 'Triggers when a member is removed from an access group.',
  event: 'access-group.member.removed',
  shape: 'membership',
  filter: membershipFilter,
});

export const { requests, cannot } = hookDocs('membership');
