import { defineHookTrigger, hookDocs } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'member_created',
  noun: 'Member',
  label: 'Member Created',
  description: 'Triggers when a member is added; uses 1 of 10 webhooks.',
  event: 'member.created',
  shape: 'member',
});

export const { requests, cannot } = hookDocs('member');
