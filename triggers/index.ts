import { byKey } from '../src/zap/operations';
import * as accessGroupCreated from './access_group_created';
import * as accessGroupDeleted from './access_group_deleted';
import * as accessGroupUpdated from './access_group_updated';
import * as customAccessGroupChoices from './custom_access_group_choices';
import * as memberAddedToAccessGroup from './member_added_to_access_group';
import * as memberChoices from './member_choices';
import * as memberCreated from './member_created';
import * as memberDeleted from './member_deleted';
import * as memberLoggedInOrOut from './member_logged_in_or_out';
import * as memberRemovedFromAccessGroup from './member_removed_from_access_group';
import * as memberUpdated from './member_updated';
import * as newAccessGroup from './new_access_group';
import * as newMember from './new_member';

/** Every trigger module, in the order the docs list them. */
export const triggerModules = [
  newAccessGroup,
  newMember,
  customAccessGroupChoices,
  memberChoices,
  // Instant triggers (REST hooks), one per Sotion webhook event.
  memberCreated,
  memberUpdated,
  memberLoggedInOrOut,
  memberDeleted,
  accessGroupCreated,
  accessGroupUpdated,
  accessGroupDeleted,
  memberAddedToAccessGroup,
  memberRemovedFromAccessGroup,
];

/** Every trigger, by key (the keys are the public contract that Zaps reference). */
export const triggers = byKey(triggerModules);
