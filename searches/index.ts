import findAccessGroup from './find_access_group';
import findMember from './find_member';

/** Every search, by key (the keys are the public contract that Zaps reference). */
export const searches = {
  [findMember.key]: findMember,
  [findAccessGroup.key]: findAccessGroup,
};

/** Find-or-create pairs: each entry's key is its search's key. */
export const searchOrCreates = {
  [findMember.key]: {
    key: findMember.key,
    display: {
      label: 'Find or Create Member',
      description:
        'Finds a member, or creates one. A found member is not changed: for a sale, use Create ' +
        'Member with "Update the existing member".',
    },
    search: findMember.key,
    create: 'create_member',
  },
  [findAccessGroup.key]: {
    key: findAccessGroup.key,
    display: {
      label: 'Find or Create Access Group',
      description: 'Finds an access group by name, or creates it.',
    },
    search: findAccessGroup.key,
    create: 'create_access_group',
  },
};
