import { defineHookTrigger, hookDocs } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'member_logged_in_or_out',
  noun: 'Member',
  label: 'Member Logged In or Out',
  description: 'Triggers when a member logs in or out.',
  event: 'member.auth',
  shape: 'member',
});

export const { requests, cannot } = hookDocs('member');
