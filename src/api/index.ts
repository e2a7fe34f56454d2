import { accessGroups } from './access-groups';
import { groupMembers } from './group-members';
import { members } from './members';
import { site } from './site';
import { webhooks } from './webhooks';

/** Every Sotion API v1 endpoint (reference §2), by resource: 20 in all. */
export const api = { site, accessGroups, groupMembers, members, webhooks };
