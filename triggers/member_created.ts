import { defineHookTrigger } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'member_created',
  noun: 'Member',
  label: 'Member Created',
  description: 'Triggers when a member is added to the site (instantly).',
  event: 'member.created',
  shape: 'member',
});
