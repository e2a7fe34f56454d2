import { byKey } from '../src/zap/operations';
import * as addMemberToAccessGroup from './add_member_to_access_group';
import * as blockMember from './block_member';
import * as bulkAddMembers from './bulk_add_members';
import * as bulkRemoveMembers from './bulk_remove_members_from_access_group';
import * as createAccessGroup from './create_access_group';
import * as createLoginLink from './create_login_link';
import * as createMember from './create_member';
import * as deleteAccessGroup from './delete_access_group';
import * as deleteMember from './delete_member';
import * as exportMembers from './export_members';
import * as removeMemberFromAccessGroup from './remove_member_from_access_group';
import * as sendLoginLink from './send_login_link';
import * as setMemberAccessGroups from './set_member_access_groups';
import * as syncAccessGroupMembers from './sync_access_group_members';
import * as unblockMember from './unblock_member';
import * as updateAccessGroup from './update_access_group';
import * as updateMember from './update_member';

/** Every create (action) module, in the order the docs list them. */
export const createModules = [
  createAccessGroup,
  updateAccessGroup,
  deleteAccessGroup,
  bulkAddMembers,
  bulkRemoveMembers,
  syncAccessGroupMembers,
  createMember,
  updateMember,
  blockMember,
  unblockMember,
  deleteMember,
  addMemberToAccessGroup,
  removeMemberFromAccessGroup,
  setMemberAccessGroups,
  sendLoginLink,
  createLoginLink,
  exportMembers,
];

/** Every create, by key (the keys are the public contract that Zaps reference). */
export const creates = byKey(createModules);
