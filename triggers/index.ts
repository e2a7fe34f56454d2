import customAccessGroupChoices from './custom_access_group_choices';
import memberChoices from './member_choices';
import newAccessGroup from './new_access_group';
import newMember from './new_member';

/** Every trigger, by key (the keys are the public contract that Zaps reference). */
export const triggers = {
  [newAccessGroup.key]: newAccessGroup,
  [newMember.key]: newMember,
  [customAccessGroupChoices.key]: customAccessGroupChoices,
  [memberChoices.key]: memberChoices,
};
