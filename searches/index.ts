import { byKey } from '../src/zap/operations';
import * as findAccessGroup from './find_access_group';
import * as findMember from './find_member';

/** Every search module, in the order the docs list them. */
export const searchModules = [findMember, findAccessGroup];

/** Every search, by key (the keys are the public contract that Zaps reference). */
export const searches = byKey(searchModules);

/** Find-or-create pairs, as modules: each entry's key is its search's key. */
export const searchOrCreateModules = [
  {
    default: {
      key: findMember.default.key,
      display: {
        label: 'Find or Create Member',
        description:
          'Finds a member, or creates one. A found member is not changed: for a sale, use Create ' +
          'Member with "Update the existing member".',
      },
      search: findMember.default.key,
      create: 'create_member',
    },
    requests: "the search's, + the create's when nobody is found",
  },
  {
    default: {
      key: findAccessGroup.default.key,
      display: {
        label: 'Find or Create Access Group',
        description: 'Finds an access group by name, or creates it.',
      },
      search: findAccessGroup.default.key,
      create: 'create_access_group',
    },
    requests: "the search's, + 1 when it creates the group",
  },
];

/** Find-or-create pairs, by key. */
export const searchOrCreates = byKey(searchOrCreateModules);
