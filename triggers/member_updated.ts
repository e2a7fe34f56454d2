import { defineHookTrigger, hookDocs } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'member_updated',
  noun: 'Member',
  label: 'Member Updated',
  description: "Triggers when a member's details change.",
  event: 'member.updated',
  shape: 'member',
});

export const { requests, cannot } = hookDocs('member');
