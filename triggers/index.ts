import customAccessGroupChoices from './custom_access_group_choices';
import newAccessGroup from './new_access_group';

/** Every trigger, by key (the keys are the public contract that Zaps reference). */
export const triggers = {
  [newAccessGroup.key]: newAccessGroup,
  [customAccessGroupChoices.key]: customAccessGroupChoices,
};
