import accessGroupCreated from './access_group_created';
import accessGroupDeleted from './access_group_deleted';
import accessGroupUpdated from './access_group_updated';
import customAccessGroupChoices from './custom_access_group_choices';
import memberChoices from './member_choices';
import memberAddedToAccessGroup from './member_added_to_access_group';
import memberCreated from './member_created';
import memberDeleted from './member_deleted';
import memberLoggedInOrOut from './member_logged_in_or_out';
import memberRemovedFromAccessGroup from './member_removed_from_access_group';
import memberUpdated from './member_updated';
import newAccessGroup from './new_access_group';
import newMember from './new_member';

/** Every trigger, by key (the keys are the public contract that Zaps reference). */
export const triggers = {
  [newAccessGroup.key]: newAccessGroup,
  [newMember.key]: newMember,
  [customAccessGroupChoices.key]: customAccessGroupChoices,
  [memberChoices.key]: memberChoices,
  // Instant triggers (REST hooks), one per Sotion webhook event.
  [memberCreated.key]: memberCreated,
  [memberUpdated.key]: memberUpdated,
  [memberLoggedInOrOut.key]: memberLoggedInOrOut,
  [memberDeleted.key]: memberDeleted,
  [accessGroupCreated.key]: accessGroupCreated,
  [accessGroupUpdated.key]: accessGroupUpdated,
  [accessGroupDeleted.key]: accessGroupDeleted,
  [memberAddedToAccessGroup.key]: memberAddedToAccessGroup,
  [memberRemovedFromAccessGroup.key]: memberRemovedFromAccessGroup,
};
