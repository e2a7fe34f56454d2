import bulkAddMembers from './bulk_add_members';
import bulkRemoveMembers from './bulk_remove_members_from_access_group';
import createAccessGroup from './create_access_group';
import deleteAccessGroup from './delete_access_group';
import updateAccessGroup from './update_access_group';
import createMember from './create_member';
import updateMember from './update_member';
import blockMember from './block_member';
import unblockMember from './unblock_member';
import deleteMember from './delete_member';
import addMemberToAccessGroup from './add_member_to_access_group';
import removeMemberFromAccessGroup from './remove_member_from_access_group';
import sendLoginLink from './send_login_link';
import createLoginLink from './create_login_link';
import setMemberAccessGroups from './set_member_access_groups';
import exportMembers from './export_members';
import syncAccessGroupMembers from './sync_access_group_members';

/** Every create (action), by key (the keys are the public contract that Zaps reference). */
export const creates = {
  [createAccessGroup.key]: createAccessGroup,
  [updateAccessGroup.key]: updateAccessGroup,
  [deleteAccessGroup.key]: deleteAccessGroup,
  [bulkAddMembers.key]: bulkAddMembers,
  [bulkRemoveMembers.key]: bulkRemoveMembers,
  [createMember.key]: createMember,
  [updateMember.key]: updateMember,
  [blockMember.key]: blockMember,
  [unblockMember.key]: unblockMember,
  [deleteMember.key]: deleteMember,
  [addMemberToAccessGroup.key]: addMemberToAccessGroup,
  [removeMemberFromAccessGroup.key]: removeMemberFromAccessGroup,
  [setMemberAccessGroups.key]: setMemberAccessGroups,
  [sendLoginLink.key]: sendLoginLink,
  [createLoginLink.key]: createLoginLink,
  [exportMembers.key]: exportMembers,
  [syncAccessGroupMembers.key]: syncAccessGroupMembers,
};
