import { defineHookTrigger, hookDocs } from '../src/zap/hooks';

export default defineHookTrigger({
  key: 'access_group_deleted',
  noun: 'Access Group',
  label: 'Access Group Deleted',
  description: 'Triggers when an access group is deleted.',
  event: 'access-group.deleted',
  shape: 'groupDeleted',
});

export const { requests, cannot } = hookDocs('groupDeleted');
