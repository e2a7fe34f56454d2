import { defineHookTrigger, hookDocs } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'access_group_created',
  noun: 'Access Group',
  label: 'Access Group Created',
  description: 'Triggers when an access group is created; uses 1 of 10 webhooks.',
  event: 'access-group.created',
  shape: 'group',
});

export const { requests, cannot } = hookDocs('group');
