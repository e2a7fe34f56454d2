import bulkAddMembers from './bulk_add_members';
import createAccessGroup from './create_access_group';
import deleteAccessGroup from './delete_access_group';
import updateAccessGroup from './update_access_group';

/** Every create (action), by key (the keys are the public contract that Zaps reference). */
export const creates = {
  [createAccessGroup.key]: createAccessGroup,
  [updateAccessGroup.key]: updateAccessGroup,
  [deleteAccessGroup.key]: deleteAccessGroup,
  [bulkAddMembers.key]: bulkAddMembers,
};
