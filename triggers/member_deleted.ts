import { defineHookTrigger, hookDocs } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'member_deleted',
  noun: 'Member',
  label: 'Member Deleted',
  description: 'Triggers when a member is deleted from the site.',
  event: 'member.deleted',
  shape: 'memberDeleted',
});

export const { requests, cannot } = hookDocs('memberDeleted');
