import { defineHookTrigger, hookDocs } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'access_group_updated',
  noun: 'Access Group',
  label: 'Access Group Updated',
  description: "Triggers when an access group's name or description changes.",
  event: 'access-group.updated',
  shape: 'group',
});

export const { requests, cannot } = hookDocs('group');
